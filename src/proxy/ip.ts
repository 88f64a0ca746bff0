import { ConfigError } from '../config/errors.ts';
import { ipValue } from '../http/go-addr.ts';

// Just enough IP handling for trusted_proxies: an address (netip's grammar) as a number, and prefix containment.

export interface IpRange {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

/** Client addresses repeat: remember recent parses (BigInt arithmetic is slow enough to show in profiles). */
const parsed = new Map<string, [boolean, bigint] | undefined>();
const PARSED_MAX = 4096;

/** Parses an IP address (v4, v6, v4-mapped v6; zone stripped) to [isV6, value], or undefined. */
export function parseIp(text: string): [boolean, bigint] | undefined {
  if (parsed.has(text)) return parsed.get(text);
  const result = parseIpUncached(text);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, result);
  return result;
}

function parseIpUncached(text: string): [boolean, bigint] | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const ip = ipValue(s);
  if (!ip) return undefined;
  // A v4-mapped v6 address (::ffff:a.b.c.d) matches v4 ranges, as Go's netip Unmap does.
  if (ip.v6 && ip.value >> 32n === 0xffffn) return [false, ip.value & 0xffffffffn];
  return [ip.v6, ip.value];
}

/** Parses `ip` or `ip/bits`; a bare IP is a single-address range. */
export function parseRange(text: string, path: string): IpRange {
  const slash = text.indexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  const max = ip?.[0] ? 128 : 32;
  const bits = slash >= 0 ? Number(text.slice(slash + 1)) : max;
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > max)
    throw new ConfigError(`invalid IP address or range: ${JSON.stringify(text)}`, path);
  const shift = BigInt(max - bits);
  return { v6: ip[0], base: (ip[1] >> shift) << shift, bits };
}

export function rangeContains(r: IpRange, ip: [boolean, bigint]): boolean {
  if (r.v6 !== ip[0]) return false;
  const shift = BigInt((r.v6 ? 128 : 32) - r.bits);
  return (ip[1] >> shift) << shift === r.base;
}
