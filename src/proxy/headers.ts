import type { RequestContext } from '../http/types.ts';
import { headersFrom } from '../util/headers.ts';
import { parseIp, rangeContains, type IpRange } from './ip.ts';

// Headers on the way to the upstream (Caddy's prepareRequest/addForwardedHeaders) and back (finalizeResponse).

/** Hop-by-hop fields: meaningful for one connection only, never forwarded. */
const HOP_HEADERS = new Set([
  'alt-svc', 'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

// Each Headers call crosses from JavaScript into the runtime, and a proxied request made ~40 of them: profiles showed
// them as the largest cost. So fields are filtered in one pass over plain entries and each Headers is built once.

/** The field names a Connection header lists (also hop-by-hop). */
function connectionNamed(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  const names = new Set<string>();
  for (const f of connection.split(',')) if (f.trim()) names.add(f.trim().toLowerCase());
  return names;
}

/** The entries of `src` without hop-by-hop fields (set-cookie values stay separate). */
function endToEnd(src: Headers): { entries: Array<[string, string]>; connection?: string; upgrade?: string; te?: string } {
  const entries: Array<[string, string]> = [];
  let connection: string | undefined;
  let upgrade: string | undefined;
  let te: string | undefined;
  for (const entry of src) {
    const name = entry[0];
    if (HOP_HEADERS.has(name)) {
      if (name === 'connection') connection = entry[1];
      else if (name === 'upgrade') upgrade = entry[1];
      else if (name === 'te') te = entry[1];
      continue;
    }
    entries.push(entry);
  }
  const named = connectionNamed(connection);
  return { entries: named ? entries.filter(([n]) => !named.has(n)) : entries, connection, upgrade, te };
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

const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/**
 * The upstream request's headers before header_up: a copy of the client's without hop-by-hop fields, with the
 * X-Forwarded-* trio (client values kept only from trusted peers) and Via.
 */
export function prepareRequestHeaders(ctx: RequestContext, trusted: boolean): Headers {
  const { entries: all, connection, upgrade, te } = endToEnd(ctx.request.headers);
  let priorFor: string | undefined;
  let priorProto: string | undefined;
  let priorHost: string | undefined;
  let host: string | undefined;
  const entries: Array<[string, string]> = [];
  for (const entry of all) {
    const name = entry[0];
    if (FORWARDED.has(name)) {
      if (name === 'x-forwarded-for') priorFor = entry[1];
      else if (name === 'x-forwarded-proto') priorProto = entry[1];
      else priorHost = entry[1];
      continue;
    }
    if (name === 'host') host = entry[1];
    entries.push(entry);
  }
  if (te && te.split(',').some((t) => t.trim().toLowerCase() === 'trailers')) entries.push(['te', 'trailers']);
  if (upgrade && /(^|,)\s*upgrade\s*(,|$)/i.test(connection ?? '')) {
    entries.push(['connection', 'Upgrade'], ['upgrade', upgrade.toLowerCase() === 'websocket' ? 'websocket' : upgrade]);
  }

  const clientIp = parseIp(ctx.remoteIp) ? ctx.remoteIp.replace(/^\[|\]$/g, '').replace(/%.*$/, '') : '';
  if (clientIp || trusted) {
    if (trusted && priorFor) entries.push(['x-forwarded-for', clientIp ? `${priorFor}, ${clientIp}` : priorFor]);
    else if (clientIp) entries.push(['x-forwarded-for', clientIp]);
    const proto = lastValue(priorProto);
    entries.push(['x-forwarded-proto', trusted && proto ? proto : ctx.originalUrl.protocol === 'https:' ? 'https' : 'http']);
    const fwdHost = lastValue(priorHost);
    entries.push(['x-forwarded-host', trusted && fwdHost ? fwdHost : host ?? ctx.url.host]);
  }
  entries.push(['via', `${clientProto(ctx)} Caddy`]);
  return headersFrom(entries);
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

/** Upstream response header entries as Caddy forwards them: hop-by-hop stripped (Upgrade kept for 101). */
export function cleanResponseEntries(src: Headers, status: number): Array<[string, string]> {
  const { entries, upgrade } = endToEnd(src);
  if (status === 101 && upgrade) entries.push(['upgrade', upgrade], ['connection', 'Upgrade']);
  return entries;
}
