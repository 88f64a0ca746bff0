import { ConfigError } from '../config/errors.ts';

// Just enough IP handling for trusted_proxies: parse v4/v6 to a 128-bit number and test prefix containment.

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
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) {
    const v = parseV4(s);
    return v === undefined ? undefined : [false, v];
  }
  if (!s.includes(':')) return undefined;
  const v = parseV6(s);
  if (v === undefined) return undefined;
  // A v4-mapped v6 address (::ffff:a.b.c.d) matches v4 ranges, as Go's netip Unmap does.
  if (v >> 32n === 0xffffn) return [false, v & 0xffffffffn];
  return [true, v];
}

function parseV4(s: string): bigint | undefined {
  let v = 0n;
  for (const part of s.split('.')) {
    const n = Number(part);
    if (!/^\d{1,3}$/.test(part) || n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let tail4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
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
