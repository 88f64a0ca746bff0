import type { RequestContext } from '../http/types.ts';
import { parseIp, rangeContains, type IpRange } from './ip.ts';

// Headers on the way to the upstream (Caddy's prepareRequest/addForwardedHeaders) and back (finalizeResponse).

/** Hop-by-hop fields: meaningful for one connection only, never forwarded. */
const HOP_HEADERS = new Set([
  'alt-svc', 'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

// Each Headers call crosses from JavaScript into the runtime, and in workerd the crossings, not the JavaScript, are
// what a proxied request costs (measured with wrk against a hand-written gateway: a native copy of a Headers object
// plus a pass over its names beats rebuilding it field by field). workerd passes hop-by-hop fields through in both
// directions, so they are looked for in that one pass and deleted only when present.

/** Deletes the hop-by-hop fields `src` has (and those its Connection header names) from `out`, a copy of it. */
function dropHopFields(src: Headers, out: Headers, seen?: (name: string, value: string) => void): { connection?: string; upgrade?: string; te?: string } {
  const found: { connection?: string; upgrade?: string; te?: string } = {};
  for (const [name, value] of src) {
    if (HOP_HEADERS.has(name)) {
      out.delete(name);
      if (name === 'connection') found.connection = value;
      else if (name === 'upgrade') found.upgrade = value;
      else if (name === 'te') found.te = value;
    } else seen?.(name, value);
  }
  if (found.connection) for (const f of found.connection.split(',')) if (f.trim()) out.delete(f.trim());
  return found;
}

/** The peer is trusted when the server said so (`trusted_proxy` var) or it is inside the handler's trusted_proxies. */
export function isTrusted(ctx: RequestContext, ranges: readonly IpRange[]): boolean {
  if (ctx.vars.get('trusted_proxy') === true) return true;
  if (ranges.length === 0) return false;
  const ip = parseIp(ctx.remoteIp);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}

function lastValue(v: string | undefined): string {
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
  let priorFor: string | undefined;
  let priorProto: string | undefined;
  let priorHost: string | undefined;
  let host: string | undefined;
  const { connection, upgrade, te } = dropHopFields(src, h, (name, value) => {
    if (name === 'x-forwarded-for') priorFor = value;
    else if (name === 'x-forwarded-proto') priorProto = value;
    else if (name === 'x-forwarded-host') priorHost = value;
    else if (name === 'host') host = value;
  });
  if (te && te.split(',').some((t) => t.trim().toLowerCase() === 'trailers')) h.set('te', 'trailers');
  if (upgrade && /(^|,)\s*upgrade\s*(,|$)/i.test(connection ?? '')) {
    h.set('connection', 'Upgrade');
    h.set('upgrade', upgrade.toLowerCase() === 'websocket' ? 'websocket' : upgrade);
  }

  const clientIp = parseIp(ctx.remoteIp) ? ctx.remoteIp.replace(/^\[|\]$/g, '').replace(/%.*$/, '') : '';
  if (!clientIp && !trusted) {
    if (priorFor !== undefined) h.delete('x-forwarded-for');
    if (priorProto !== undefined) h.delete('x-forwarded-proto');
    if (priorHost !== undefined) h.delete('x-forwarded-host');
  } else {
    if (trusted && priorFor) h.set('x-forwarded-for', clientIp ? `${priorFor}, ${clientIp}` : priorFor);
    else if (clientIp) h.set('x-forwarded-for', clientIp);
    else if (priorFor !== undefined) h.delete('x-forwarded-for');
    const proto = lastValue(priorProto);
    h.set('x-forwarded-proto', trusted && proto ? proto : ctx.originalUrl.protocol === 'https:' ? 'https' : 'http');
    const fwdHost = lastValue(priorHost);
    h.set('x-forwarded-host', trusted && fwdHost ? fwdHost : host ?? ctx.url.host);
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

/** Upstream response headers as Caddy forwards them: a copy without hop-by-hop fields (Upgrade kept for 101). */
export function cleanResponseHeaders(src: Headers, status: number): Headers {
  const h = new Headers(src);
  const { upgrade } = dropHopFields(src, h);
  if (status === 101 && upgrade) {
    h.set('upgrade', upgrade);
    h.set('connection', 'Upgrade');
  }
  return h;
}
