import { requestHostport } from '../http/placeholders/request.ts';
import type { RequestContext } from '../http/types.ts';
import { parseIp, rangeContains, type IpRange } from './ip.ts';

// Headers on the way to the upstream (Caddy's prepareRequest/addForwardedHeaders) and back (finalizeResponse).

/** Hop-by-hop fields: meaningful for one connection only, never forwarded. */
const HOP_HEADERS = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'alt-svc',
];
const HOP_SET = new Set(HOP_HEADERS);

// Each Headers call crosses from JavaScript into the runtime, and in workerd the crossings, not the JavaScript, are
// what a proxied request costs (the bench counts them; README, Performance). workerd passes hop-by-hop fields through
// in both directions, so they are looked up by name (cheaper than iterating the keys of all but the smallest
// messages) and deleted only when present.

interface HopFields {
  connection?: string;
  upgrade?: string;
  te?: string;
}

/** Deletes the hop-by-hop fields from `h` (and those its Connection header names); returns the ones that matter. */
function dropHopFields(h: Headers): HopFields {
  const found: HopFields = {};
  for (const name of HOP_HEADERS) {
    if (name === 'connection' || name === 'upgrade' || name === 'te') {
      // get() answers has() too: one call for a field whose value is needed.
      const value = h.get(name);
      if (value === null) continue;
      found[name] = value;
    } else if (!h.has(name)) continue;
    h.delete(name);
  }
  // The fields Connection names go too; a hop-by-hop one (`Connection: keep-alive`, HTTP/1.1's usual) is gone already.
  if (found.connection) {
    for (const f of found.connection.split(',')) {
      const name = f.trim();
      if (name && !HOP_SET.has(name.toLowerCase())) h.delete(name);
    }
  }
  return found;
}

/** The peer is trusted when the server said so (`trusted_proxy` var) or it is inside the handler's trusted_proxies. */
export function isTrusted(ctx: RequestContext, ranges: readonly IpRange[]): boolean {
  if (ctx.vars.get('trusted_proxy') === true) return true;
  if (ranges.length === 0) return false;
  const ip = parseIp(ctx.remoteIp);
  return ip !== undefined && ranges.some((r) => rangeContains(r, ip));
}

/** The address without IPv6 brackets or zone (the usual address has neither: no string is made then). */
function bareIp(ip: string): string {
  return ip.includes('[') || ip.includes('%') ? ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '') : ip;
}

function lastValue(v: string | null): string {
  if (!v) return '';
  const parts = v.split(',');
  return parts[parts.length - 1].trim();
}

/**
 * The upstream request's headers before header_up: a copy of the client's without hop-by-hop fields, with the
 * X-Forwarded-* trio (client values kept only from trusted peers) and Via.
 */
export function prepareRequestHeaders(ctx: RequestContext, trusted: boolean): Headers {
  const h = new Headers(ctx.request.headers);
  const { connection, upgrade, te } = dropHopFields(h);
  if (te?.split(',').some((t) => t.trim().toLowerCase() === 'trailers')) h.set('te', 'trailers');
  if (upgrade && /(^|,)\s*upgrade\s*(,|$)/i.test(connection ?? '')) {
    h.set('connection', 'Upgrade');
    h.set('upgrade', upgrade.toLowerCase() === 'websocket' ? 'websocket' : upgrade);
  }

  const clientIp = parseIp(ctx.remoteIp) ? bareIp(ctx.remoteIp) : '';
  if (!clientIp && !trusted) {
    h.delete('x-forwarded-for');
    h.delete('x-forwarded-proto');
    h.delete('x-forwarded-host');
  } else {
    // The client's own values only count from a trusted peer: only then are they read.
    const priorFor = trusted ? h.get('x-forwarded-for') : null;
    if (priorFor) h.set('x-forwarded-for', clientIp ? `${priorFor}, ${clientIp}` : priorFor);
    else if (clientIp) h.set('x-forwarded-for', clientIp);
    else h.delete('x-forwarded-for');
    const proto = trusted ? lastValue(h.get('x-forwarded-proto')) : '';
    h.set('x-forwarded-proto', proto || (ctx.originalUrl.protocol === 'https:' ? 'https' : 'http'));
    const fwdHost = trusted ? lastValue(h.get('x-forwarded-host')) : '';
    h.set('x-forwarded-host', fwdHost || requestHostport(ctx));
  }
  h.append('via', `${clientProto(ctx)} Caddy`);
  return h;
}

/**
 * "major.minor" of the client's HTTP version: Cloudflare reports it in request.cf.httpProtocol; 1.1 otherwise.
 * Reading `cf` builds its object in the runtime on every request (the priciest single step of a proxied request in
 * workerd), and a runtime whose cf has no httpProtocol (workerd serve gives only clientIp: a self-hosted gateway)
 * never has one: once a request's cf shows that, cf is not read again.
 */
function clientProto(ctx: RequestContext): string {
  if (runtimeReportsProtocol === false) return '1.1';
  const cf = (ctx.request as Request & { cf?: { httpProtocol?: unknown } }).cf;
  const p = typeof cf?.httpProtocol === 'string' ? cf.httpProtocol : undefined;
  // Decided by the runtime's own cf: one that lacks httpProtocol but has colo is an edge request whose caller (a
  // service binding's) wrote its cf, and a request without cf says nothing either.
  if (cf && runtimeReportsProtocol === undefined && (p !== undefined || !('colo' in cf)))
    runtimeReportsProtocol = p !== undefined;
  if (p === undefined || p === 'HTTP/1.1') return '1.1';
  const m = /^HTTP\/(\d)(?:\.(\d))?$/i.exec(p);
  return m ? `${m[1]}.${m[2] ?? '0'}` : '1.1';
}
let runtimeReportsProtocol: boolean | undefined;

/**
 * Upstream response headers as Caddy forwards them: hop-by-hop fields removed (Upgrade kept for 101), in place on
 * a mutable copy such as the headers of `new Response(body, upstreamResponse)`.
 */
export function cleanResponseHeaders(h: Headers, status: number): void {
  const { upgrade } = dropHopFields(h);
  if (status === 101 && upgrade) {
    h.set('upgrade', upgrade);
    h.set('connection', 'Upgrade');
  }
}
