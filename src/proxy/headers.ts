import type { RequestContext } from '../http/types.ts';
import { parseIp, rangeContains, type IpRange } from './ip.ts';

// Headers on the way to the upstream (Caddy's prepareRequest/addForwardedHeaders) and back (finalizeResponse).

/** Hop-by-hop fields: meaningful for one connection only, never forwarded. */
const HOP_HEADERS = [
  'alt-svc', 'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
];

/** Removes hop-by-hop fields and every field the Connection header names. */
export function removeHopHeaders(h: Headers): void {
  const conn = h.get('connection');
  if (conn) for (const f of conn.split(',')) if (f.trim()) h.delete(f.trim());
  for (const f of HOP_HEADERS) h.delete(f);
}

/** The peer is trusted when the server said so (`trusted_proxy` var) or it is inside the handler's trusted_proxies. */
export function isTrusted(ctx: RequestContext, ranges: readonly IpRange[]): boolean {
  if (ctx.vars.get('trusted_proxy') === true) return true;
  const ip = parseIp(ctx.remoteIp);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}

function lastValue(h: Headers, name: string): string {
  const v = h.get(name);
  if (!v) return '';
  const parts = v.split(',');
  return parts[parts.length - 1].trim();
}

/**
 * The upstream request's headers before header_up: a copy of the client's without hop-by-hop fields, with the
 * X-Forwarded-* trio (client values kept only from trusted peers) and Via.
 */
export function prepareRequestHeaders(ctx: RequestContext, trusted: boolean): Headers {
  const src = ctx.request.headers;
  const h = new Headers(src);
  const upgrade = src.get('upgrade');
  const connUpgrade = /(^|,)\s*upgrade\s*(,|$)/i.test(src.get('connection') ?? '');
  const te = src.get('te');
  removeHopHeaders(h);
  if (te && te.split(',').some((t) => t.trim().toLowerCase() === 'trailers')) h.set('te', 'trailers');
  if (upgrade && connUpgrade) {
    h.set('connection', 'Upgrade');
    h.set('upgrade', upgrade.toLowerCase() === 'websocket' ? 'websocket' : upgrade);
  }

  const clientIp = parseIp(ctx.remoteIp) ? ctx.remoteIp.replace(/^\[|\]$/g, '').replace(/%.*$/, '') : '';
  if (!clientIp && !trusted) {
    h.delete('x-forwarded-for');
    h.delete('x-forwarded-proto');
    h.delete('x-forwarded-host');
  } else {
    const priorFor = src.get('x-forwarded-for');
    if (trusted && priorFor) h.set('x-forwarded-for', clientIp ? `${priorFor}, ${clientIp}` : priorFor);
    else if (clientIp) h.set('x-forwarded-for', clientIp);
    const priorProto = lastValue(src, 'x-forwarded-proto');
    h.set('x-forwarded-proto', trusted && priorProto ? priorProto : ctx.originalUrl.protocol === 'https:' ? 'https' : 'http');
    const priorHost = lastValue(src, 'x-forwarded-host');
    h.set('x-forwarded-host', trusted && priorHost ? priorHost : requestHost(ctx));
  }
  h.append('via', `${clientProto(ctx)} Caddy`);
  return h;
}

/** The request's Host: the header when present, else the URL authority. */
export function requestHost(ctx: RequestContext): string {
  return ctx.request.headers.get('host') ?? ctx.url.host;
}

/** "major.minor" of the client's HTTP version (Cloudflare reports it in request.cf; 1.1 otherwise). */
function clientProto(ctx: RequestContext): string {
  const cf = (ctx.request as Request & { cf?: { httpProtocol?: unknown } }).cf;
  const p = typeof cf?.httpProtocol === 'string' ? cf.httpProtocol : '';
  const m = /^HTTP\/(\d)(?:\.(\d))?$/i.exec(p);
  return m ? `${m[1]}.${m[2] ?? '0'}` : '1.1';
}

/** Upstream response headers as Caddy forwards them: hop-by-hop stripped (Upgrade kept for 101). */
export function cleanResponseHeaders(src: Headers, status: number): Headers {
  const h = new Headers(src);
  const upgrade = src.get('upgrade');
  removeHopHeaders(h);
  if (status === 101 && upgrade) {
    h.set('upgrade', upgrade);
    h.set('connection', 'Upgrade');
  }
  return h;
}
