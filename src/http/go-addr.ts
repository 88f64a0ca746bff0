// Go's netip.ParseAddr followed by Addr.String(), for addresses taken from client IP headers: Caddy keeps the
// canonical form as `client_ip` (`::FFFF:1.2.3.4` → `::ffff:1.2.3.4`, `2001:db8:0:0::1` → `2001:db8::1`), and
// refuses what netip refuses (IPv4 fields with a leading zero, zones are cut by the caller).
import { formatIpv6Groups } from '../util/ipv6-text.ts';

/** The canonical text of an IPv4 or IPv6 address, or undefined when Go's netip.ParseAddr would fail. */
export function goAddrString(s: string): string | undefined {
  if (s.includes(':')) return v6String(s);
  return v4Bytes(s) ? s : undefined;
}

/** The four bytes of a dotted IPv4 address as Go parses it (no leading zeros), or undefined. */
export function v4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return undefined;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
      n = n * 10 + (c - 0x30);
    }
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** A 16-bit group as netip reads it: one to four hex digits. */
function hexGroup(p: string): number | undefined {
  if (p.length === 0 || p.length > 4) return undefined;
  const n = parseInt(p, 16);
  return /^[0-9a-fA-F]+$/.test(p) ? n : undefined;
}

/** Reads one 16-bit group of an IPv6 address, or undefined: the one rule in which Go's parsers differ. */
export type HexGroup = (p: string) => number | undefined;

/** The 16-bit groups of `part` (a side of `::`), an embedded IPv4 allowed only at the very end. */
function groupsOf(part: string, last: boolean, group: HexGroup): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  const fields = part.split(':');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (last && i === fields.length - 1 && f.includes('.')) {
      const b = v4Bytes(f);
      if (!b) return undefined;
      out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
      continue;
    }
    const g = group(f);
    if (g === undefined) return undefined;
    out.push(g);
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail allowed), or undefined. */
export function v6Groups(s: string, group: HexGroup = hexGroup): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const all = groupsOf(s, true, group);
    return all?.length === 8 ? all : undefined;
  }
  const head = groupsOf(halves[0], false, group);
  const tail = groupsOf(halves[1], true, group);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** An address as a number: IPv4 in 32 bits, IPv6 in 128. */
export interface IpValue {
  v6: boolean;
  value: bigint;
}

/** An IPv4 or IPv6 address (no zone) as netip.ParseAddr reads it, as a number; undefined when netip would fail. */
export function ipValue(s: string): IpValue | undefined {
  if (!s.includes(':')) {
    const b = v4Bytes(s);
    return b && { v6: false, value: BigInt(b[0] * 0x1000000 + ((b[1] << 16) | (b[2] << 8) | b[3])) };
  }
  const groups = v6Groups(s);
  if (!groups) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return { v6: true, value };
}

function v6String(s: string): string | undefined {
  const groups = v6Groups(s);
  if (!groups) return undefined;
  // An IPv4-mapped address keeps its dotted tail, as Go prints it.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  return formatIpv6Groups(groups);
}
