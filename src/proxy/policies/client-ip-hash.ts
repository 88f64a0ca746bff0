import { fixedPolicy } from './module.ts';
import { hostByHashing, stripPort } from './util.ts';

/** `client_ip_hash`: rendezvous hash of the trusted-proxy-aware client IP (`client_ip` var, else the peer). */
export const clientIpHashPolicy = fixedPolicy('client_ip_hash', (pool, req) => {
  const clientIp = req.ctx.vars.get('client_ip');
  return hostByHashing(pool, stripPort(typeof clientIp === 'string' ? clientIp : req.ctx.remoteIp));
});
