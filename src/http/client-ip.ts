import { ConfigError } from '../config/errors.ts';
import type { ServerJSON } from '../config/caddy-json.ts';
import { parseIp, parseRange, rangeContains, type IpRange } from '../proxy/ip.ts';
import { CLOUDFLARE_RANGES } from './cloudflare-ranges.ts';
import { goAddrString } from './go-addr.ts';
import { splitHostPort, requestField } from './placeholders/request.ts';
import type { RequestContext } from './types.ts';

// The server options `trusted_proxies static …|cloudflare`, `client_ip_headers` and `trusted_proxies_strict` (Caddy's
// determineTrustedProxy): when the peer is a trusted proxy, `client_ip` comes from the client IP headers and
// `trusted_proxy` is true; otherwise `client_ip` is the peer. Only servers that set trusted_proxies read a header.

/** Sets the `trusted_proxy` and `client_ip` vars of a request that arrived at this server. */
export type ClientIpPolicy = (ctx: RequestContext) => void;

/** The server's policy, or undefined when it trusts no proxy (the request context's defaults then stand). */
export function compileClientIpPolicy(srv: ServerJSON, path: string): ClientIpPolicy | undefined {
  const headers = clientIpHeaders(srv.client_ip_headers, path);
  const strict = typeof srv.trusted_proxies_strict === 'number' && srv.trusted_proxies_strict > 0;
  const source = srv.trusted_proxies;
  if (source === undefined) return undefined;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new ConfigError('trusted_proxies must be an object', `${path}.trusted_proxies`);
  }
  // `cloudflare` (the caddy-cloudflare-ip plugin) uses the shipped list; its refresh interval and timeout have
  // nothing to fetch. Other sources need a module this build does not have.
  const cloudflare = source.source === 'cloudflare';
  if (source.source !== 'static' && !cloudflare) {
    throw new ConfigError(
      `trusted_proxies: source ${JSON.stringify(source.source)} is not supported (only "static" and "cloudflare")`,
      `${path}.trusted_proxies`,
    );
  }
  const rawRanges = cloudflare ? CLOUDFLARE_RANGES : (source.ranges ?? []);
  if (!Array.isArray(rawRanges) || rawRanges.some((r) => typeof r !== 'string')) {
    throw new ConfigError('trusted_proxies.ranges must be a list of strings', `${path}.trusted_proxies.ranges`);
  }
  const ranges = (rawRanges as string[]).map((r) => parseRange(r, `${path}.trusted_proxies.ranges`));
  if (ranges.length === 0) return undefined;
  const lowerHeaders = headers.map((h) => h.toLowerCase());

  return (ctx) => {
    const peer = parseIp(ctx.remoteIp);
    if (!peer || !ranges.some((r) => rangeContains(r, peer))) return;
    ctx.vars.set('trusted_proxy', true);
    const ip = strict ? rightmostUntrusted(ctx, lowerHeaders, ranges) : leftmostValid(ctx, lowerHeaders);
    if (ip !== undefined) ctx.vars.set('client_ip', ip);
  };
}

function clientIpHeaders(v: unknown, path: string): string[] {
  if (v === undefined) return ['X-Forwarded-For'];
  if (!Array.isArray(v) || v.some((h) => typeof h !== 'string' || h === '')) {
    throw new ConfigError('client_ip_headers must be a list of header names', `${path}.client_ip_headers`);
  }
  return v.length ? (v as string[]) : ['X-Forwarded-For'];
}

/** An entry of a client IP header as Caddy reads it: port and zone dropped, then the canonical address. */
function entryAddress(part: string): string | undefined {
  let host = part.trim();
  // Some proxies keep the port: `1.2.3.4:5678`, `[2001:db8::1]:5678`; a bare IPv6 address has no port.
  if (host.startsWith('[') || host.indexOf(':') === host.lastIndexOf(':')) host = splitHostPort(host)[0].trim();
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  return goAddrString(host);
}

/** Left to right over every header's entries: the first valid address (the client as the first proxy saw it). */
function leftmostValid(ctx: RequestContext, headers: readonly string[]): string | undefined {
  for (const name of headers) {
    const value = requestField(ctx, name);
    if (value === null) continue;
    for (const part of value.split(',')) {
      const ip = entryAddress(part);
      if (ip !== undefined) return ip;
    }
  }
  return undefined;
}

/** Right to left within each header: the first valid address that is not itself a trusted proxy. */
function rightmostUntrusted(
  ctx: RequestContext,
  headers: readonly string[],
  ranges: readonly IpRange[],
): string | undefined {
  for (const name of headers) {
    const value = requestField(ctx, name);
    if (value === null) continue;
    const parts = value.split(',');
    for (let i = parts.length - 1; i >= 0; i--) {
      const ip = entryAddress(parts[i]);
      if (ip === undefined) continue;
      const parsed = parseIp(ip);
      if (parsed && !ranges.some((r) => rangeContains(r, parsed))) return ip;
    }
  }
  return undefined;
}
