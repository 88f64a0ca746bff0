import type { Matcher, RequestContext } from '../types.ts';
import { splitHostPort } from '../placeholders/request.ts';
import { matcherError, stringMap, type MatcherCompileContext } from './types.ts';
import { isDigits } from '../../util/digits.ts';
import { formatIpv6Groups } from '../../util/ipv6-text.ts';
import { ipValue, type IpValue } from '../go-addr.ts';

// `remote_ip` / `client_ip`: CIDR ranges or bare IPs (a bare IP is a /32 or /128), with an optional IPv6 zone
// (`fe80::1%eth0` matches only that zone). As with Go's netip, IPv4 ranges never contain IPv6 addresses (including
// IPv4-mapped ones) and vice versa.

export const PRIVATE_RANGES = ['192.168.0.0/16', '172.16.0.0/12', '10.0.0.0/8', '127.0.0.1/8', 'fd00::/8', '::1'];

export type IP = IpValue;

/** netip.ParseAddr (no zone): IPv4 fields without leading zeros, IPv6 with an IPv4 tail allowed. */
export function parseIP(s: string): IP | null {
  return ipValue(s) ?? null;
}

interface Range {
  v6: boolean;
  base: bigint;
  bits: number;
  zone: string;
}

function parseRange(str: string, c: MatcherCompileContext): Range {
  if (str.includes('{')) throw matcherError(c, `placeholders in IP ranges are not supported: '${str}'`);
  let s = str;
  let zone = '';
  if (s.includes('%')) {
    const [a, z] = s.split('%');
    s = a;
    zone = z.split('/')[0];
    const slash = str.indexOf('/');
    if (slash > 0 && !a.includes('/')) s = a + str.slice(slash);
  }
  const [addr, bitsStr] = s.split('/');
  const ip = parseIP(addr);
  if (!ip)
    throw matcherError(
      c,
      s.includes('/') ? `parsing CIDR expression '${str}': invalid IP` : `invalid IP address: '${str}'`,
    );
  const max = ip.v6 ? 128 : 32;
  const bits = bitsStr === undefined ? max : isDigits(bitsStr) ? Number(bitsStr) : NaN;
  if (!(bits >= 0 && bits <= max)) throw matcherError(c, `parsing CIDR expression '${str}': bad prefix length`);
  return { v6: ip.v6, base: ip.value >> BigInt(max - bits), bits, zone };
}

/** Compiles a list of ranges into a test on an address string (`ip`, `ip%zone`, or `ip:port`). */
export function compileRanges(ranges: string[], c: MatcherCompileContext): (address: string) => boolean {
  const list = ranges.flatMap((r) => (r === 'private_ranges' ? PRIVATE_RANGES : [r])).map((r) => parseRange(r, c));
  return (address) => {
    let host = address;
    if (!parseIP(host.split('%')[0])) host = splitHostPort(address)[0];
    const [ipStr, zone = ''] = host.split('%');
    const ip = parseIP(ipStr);
    if (!ip) return false;
    const max = ip.v6 ? 128 : 32;
    return list.some(
      (r) => r.v6 === ip.v6 && ip.value >> BigInt(max - r.bits) === r.base && (r.zone === '' || r.zone === zone),
    );
  };
}

function rangesOf(json: unknown, c: MatcherCompileContext, name: string): string[] {
  const m = stringMap(json, c, name);
  if ('forwarded' in m && m.forwarded)
    throw matcherError(c, `the 'forwarded' option is no longer supported; use client_ip instead`);
  const ranges = m.ranges ?? [];
  if (!Array.isArray(ranges) || ranges.some((r) => typeof r !== 'string'))
    throw matcherError(c, `${name}.ranges must be a list of strings`);
  return ranges as string[];
}

/** `remote_ip`: the immediate peer (at the edge Cloudflare's view of the client, CF-Connecting-IP). */
export function compileRemoteIP(json: unknown, c: MatcherCompileContext): Matcher {
  const test = compileRanges(rangesOf(json, c, 'remote_ip'), c);
  return (ctx) => test(ctx.remoteIp);
}

/** The client IP Caddy would compute: the `client_ip` var (set when the server trusts proxies), else the peer. */
export function clientIP(ctx: RequestContext): string {
  const v = ctx.vars.get('client_ip');
  return typeof v === 'string' && v ? v : ctx.remoteIp;
}

/** `client_ip`: like remote_ip but on the trusted-proxy-aware client address. */
export function compileClientIP(json: unknown, c: MatcherCompileContext): Matcher {
  const test = compileRanges(rangesOf(json, c, 'client_ip'), c);
  return (ctx) => test(clientIP(ctx));
}

/** RFC 5952 text of an address (Go's netip.Addr.String). */
export function formatIP(ip: IP): string {
  if (!ip.v6) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  return formatIpv6Groups(Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn)));
}

/** `addr` masked to its first `bits` bits, as `prefix/bits` (Go's netip.Addr.Prefix(bits).String()); null if invalid. */
export function ipPrefix(addr: string, bits: number): string | null {
  const ip = parseIP(addr);
  if (!ip) return null;
  const max = ip.v6 ? 128 : 32;
  if (!(bits >= 0 && bits <= max)) return null;
  const shift = BigInt(max - bits);
  return `${formatIP({ v6: ip.v6, value: (ip.value >> shift) << shift })}/${bits}`;
}
