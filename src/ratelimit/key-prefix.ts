import { formatIpv6Groups } from '../util/ipv6-text.ts';

/**
 * caddy-ratelimit's `ipv4_prefix` / `ipv6_prefix`: when a key is an IP address it becomes its network
 * (`203.0.113.0/24`), so a client cannot dodge the limit by hopping addresses within its allocation.
 */
export function maskKey(key: string, ipv4Prefix?: number, ipv6Prefix?: number): string {
  if (ipv4Prefix !== undefined && /^\d{1,3}(\.\d{1,3}){3}$/.test(key)) {
    const octets = key.split('.').map(Number);
    if (octets.some((o) => o > 255)) return key;
    const n = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
    const mask = ipv4Prefix === 0 ? 0 : (0xffffffff << (32 - ipv4Prefix)) >>> 0;
    const m = (n & mask) >>> 0;
    return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${ipv4Prefix}`;
  }
  if (ipv6Prefix !== undefined && key.includes(':')) {
    const groups = parseIpv6(key);
    if (!groups) return key;
    for (let i = 0; i < 8; i++) {
      const bits = Math.min(16, Math.max(0, ipv6Prefix - i * 16));
      groups[i] &= bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    }
    return `${formatIpv6Groups(groups)}/${ipv6Prefix}`;
  }
  return key;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? undefined : groups;
}
