import { fixedPolicy } from './module.ts';
import { hostByHashing, stripPort } from './util.ts';

/** `ip_hash`: rendezvous hash of the peer IP (at the edge, the connecting client). */
export const ipHashPolicy = fixedPolicy('ip_hash', (pool, req) => hostByHashing(pool, stripPort(req.ctx.remoteIp)));
