/**
 * Keys this isolate knows are over their limit, with the time their window frees a slot. While a key is denied
 * here, requests get 429 without a Durable Object call; the entry expires exactly when the limiter said a slot
 * frees, so the cache never denies an event the limiter would allow. Bounded so a flood of distinct keys cannot
 * grow memory without limit (oldest entries go first).
 */
export class DenyCache {
  private readonly until = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  deniedUntil(id: string, now: number): number | undefined {
    const t = this.until.get(id);
    if (t === undefined) return undefined;
    if (t <= now) {
      this.until.delete(id);
      return undefined;
    }
    return t;
  }

  deny(id: string, until: number): void {
    this.until.delete(id);
    this.until.set(id, until);
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
