import { v4Bytes, v6Groups } from '../../http/go-addr.ts';
import { formatIpv6Groups } from '../../util/ipv6-text.ts';
import { registerFieldFilter } from '../field-filter.ts';
import { mapStrings } from './string-values.ts';

// `ip_mask <ipv4_cidr> <ipv6_cidr>`, as Caddy 2.6.2: the text is split at commas (X-Forwarded-For lists), each
// trimmed part that is an address (or host:port) is masked, the parts are joined with ", ". A part that is not an
// address is kept as written. Go quirks kept: an unset (0) or too-long prefix gives no mask, and Go prints the
// failed mask as "<nil>"; an IPv4-mapped IPv6 address is masked and printed as IPv4.

/** Go's net.SplitHostPort, or undefined where it fails. */
function splitHostPort(s: string): [string, string] | undefined {
  const colon = s.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  if (s[0] === '[') {
    const end = s.indexOf(']');
    if (end < 0 || end + 1 !== colon) return undefined;
    host = s.slice(1, end);
    if (host.includes('[') || s.slice(end + 1).includes(']')) return undefined;
  } else {
    host = s.slice(0, colon);
    if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  }
  return [host, s.slice(colon + 1)];
}

/** Go's net.ParseIP reads a hex group of any length up to the value 0xffff (netip allows four digits). */
function netHexGroup(p: string): number | undefined {
  if (!/^[0-9a-fA-F]+$/.test(p)) return undefined;
  const trimmed = p.replace(/^0+(?=.)/, '');
  if (trimmed.length > 4) return undefined;
  return parseInt(trimmed, 16);
}

/** Go's net.ParseIP as 16 bytes (IPv4 in its IPv4-mapped form), or undefined. */
function parseIP(s: string): Uint8Array | undefined {
  const ip = new Uint8Array(16);
  if (!s.includes(':')) {
    const b = v4Bytes(s);
    if (!b) return undefined;
    ip[10] = 0xff;
    ip[11] = 0xff;
    ip.set(b, 12);
    return ip;
  }
  const groups = v6Groups(s, netHexGroup);
  if (!groups) return undefined;
  for (let i = 0; i < 8; i++) {
    ip[i * 2] = groups[i] >> 8;
    ip[i * 2 + 1] = groups[i] & 0xff;
  }
  return ip;
}

function isV4(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Go's net.CIDRMask: `ones` leading one bits of `bits`, or undefined (Caddy also gives none for 0). */
function cidrMask(ones: number, bits: number): Uint8Array | undefined {
  if (ones <= 0 || ones > bits || !Number.isInteger(ones)) return undefined;
  const mask = new Uint8Array(bits / 8);
  for (let i = 0; i < mask.length; i++) {
    const n = Math.min(8, Math.max(0, ones - i * 8));
    mask[i] = (0xff00 >> n) & 0xff;
  }
  return mask;
}

function maskedText(ip: Uint8Array, mask: Uint8Array | undefined, v4: boolean): string {
  const bytes = v4 ? ip.subarray(12) : ip;
  if (!mask || mask.length !== bytes.length) return '<nil>';
  const out = bytes.map((b, i) => b & mask[i]);
  if (v4) return out.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((out[i] << 8) | out[i + 1]);
  return formatIpv6Groups(groups);
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function ipMasker(ipv4Cidr: number, ipv6Cidr: number): (s: string) => string {
  const v4Mask = cidrMask(ipv4Cidr, 32);
  const v6Mask = cidrMask(ipv6Cidr, 128);
  return (s) => {
    const parts: string[] = [];
    for (const raw of s.split(',')) {
      const value = raw.trim();
      if (value.length < 2) {
        parts.push(value);
        continue;
      }
      const hp = splitHostPort(value);
      const ip = parseIP(hp ? hp[0] : value);
      if (!ip) {
        parts.push(value);
        continue;
      }
      const v4 = isV4(ip);
      const text = maskedText(ip, v4 ? v4Mask : v6Mask, v4);
      parts.push(hp && hp[1] !== '' ? joinHostPort(text, hp[1]) : text);
    }
    return parts.join(', ');
  };
}

registerFieldFilter('ip_mask', (json) => {
  const mask = ipMasker(Number(json.ipv4_cidr ?? 0), Number(json.ipv6_cidr ?? 0));
  return (field) => ({ key: field.key, value: mapStrings(field.value, mask) });
});
