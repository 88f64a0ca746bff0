import { xxhash64 } from '../../src/util/xxhash64.ts';

// Which upstream a hash policy picks, computed independently of both servers: rendezvous hashing, highest score
// wins. Caddy up to 2.7 scored FNV-1a 32 of "<key><dial address>"; 2.8+ (and Gatehouse, which follows current
// Caddy) scores xxhash64 of "<dial address><key>". The runtime parity suite uses this to check that a difference between
// Caddy 2.6.2 and Gatehouse on a hash policy is exactly that version change, request by request.

function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function rendezvous(dials: string[], key: string, hash: 'fnv32' | 'xxhash64'): number {
  let best = -1;
  let bestScore: bigint = -1n;
  dials.forEach((dial, i) => {
    const score = hash === 'fnv32' ? BigInt(fnv1a32(key + dial)) : xxhash64(dial + key);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
