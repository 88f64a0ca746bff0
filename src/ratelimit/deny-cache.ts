/**
 * Keys this isolate knows are over their limit. While a key is denied here, requests get 429 without a Durable
 * Object call. An entry expires when the limiter said a slot frees, or sooner when other isolates hold leases that
 * may be given back before that (the limiter's recheck time), so the cache denies an event the limiter would allow
 * only while such a lease is outstanding (at most its hold). Bounded so a flood of distinct keys cannot grow memory
 * without limit (oldest entries go first).
 */
export class DenyCache {
  /** Per key: [expires at, Retry-After target]. */
  private readonly until = new Map<string, [number, number]>();
  private readonly maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  /** When a slot is expected to free (for Retry-After), while the key is denied; else undefined. */
  deniedUntil(id: string, now: number): number | undefined {
    const e = this.until.get(id);
    if (e === undefined) return undefined;
    if (e[0] <= now) {
      this.until.delete(id);
      return undefined;
    }
    return e[1];
  }

  /** Denies `id` until `until`; requests denied meanwhile are told to retry at `retryAt` (≥ until). */
  deny(id: string, until: number, retryAt = until): void {
    this.until.delete(id);
    this.until.set(id, [until, Math.max(until, retryAt)]);
    if (this.until.size > this.maxEntries) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
  }

  /** For tests. */
  clear(): void {
    this.until.clear();
  }
}
