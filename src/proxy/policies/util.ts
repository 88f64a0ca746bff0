import { xxhash64 } from '../../util/xxhash64.ts';
import type { Upstream } from '../types.ts';

/** A uniform random integer in [0, n). */
export function randInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Uniform choice among available upstreams in one pass (reservoir sampling), as Caddy's selectRandomHost. */
export function selectRandomHost(pool: readonly Upstream[]): Upstream | null {
  let chosen: Upstream | null = null;
  let count = 0;
  for (const up of pool) {
    if (!up.available()) continue;
    count++;
    if (randInt(count) === 0) chosen = up;
  }
  return chosen;
}

/**
 * Rendezvous (highest random weight) hashing: every available upstream scores xxhash64(dial + key) and the highest
 * wins; strictly greater replaces, so the earlier upstream keeps a tie. Adding or removing one upstream only moves
 * the keys that belonged to it.
 */
export function hostByHashing(pool: readonly Upstream[], key: string): Upstream | null {
  let best: Upstream | null = null;
  let bestHash = 0n;
  for (const up of pool) {
    if (!up.available()) continue;
    const h = xxhash64(up.dial + key);
    if (h > bestHash) {
      bestHash = h;
      best = up;
    }
  }
  return best;
}

/** Strips a trailing `:port` from an address (IPv6 in brackets or bare), like net.SplitHostPort with a fallback. */
export function stripPort(addr: string): string {
  const bracket = /^\[([^\]]+)\](?::\d*)?$/.exec(addr);
  if (bracket) return bracket[1];
  const colon = addr.indexOf(':');
  if (colon >= 0 && colon === addr.lastIndexOf(':')) return addr.slice(0, colon);
  return addr;
}
