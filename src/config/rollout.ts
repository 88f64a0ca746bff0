import type { ConfigSnapshot } from '../../durable/config-store.ts';

/**
 * Staged rollout: which clients the candidate config serves. A client's bucket is a hash of its key (client IP) and
 * the candidate's id, so a client stays on the same side for the whole rollout, and each new rollout samples a
 * different set of clients instead of always burdening the same ones.
 */

/** 0–9999, stable for a (client, candidate) pair. FNV-1a: tiny, fast and well spread for short keys. */
export function rolloutBucket(clientKey: string, candidateId: number): number {
  let h = 0x811c9dc5;
  const key = `${candidateId}:${clientKey}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche so nearby keys (10.0.0.1, 10.0.0.2) spread over all buckets.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % 10000;
}

/** Whether this client is served by the candidate (percent may be fractional, e.g. 0.5). */
export function servesCandidate(snapshot: Pick<ConfigSnapshot, 'candidate' | 'percent'>, clientKey: string): boolean {
  if (!snapshot.candidate || snapshot.percent <= 0) return false;
  if (snapshot.percent >= 100) return true;
  return rolloutBucket(clientKey, snapshot.candidate.id) < snapshot.percent * 100;
}
