import type { SelectionPolicy } from '../types.ts';
import { hostByHashing, stripPort } from './util.ts';

/** `ip_hash`: rendezvous hash of the peer IP (at the edge, the connecting client). */
export const ipHashPolicy: SelectionPolicy = (pool, req) => hostByHashing(pool, stripPort(req.ctx.remoteIp));
