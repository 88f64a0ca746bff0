/**
 * One value kept per isolate and refreshed in the background once it is older than `maxAgeMs`
 * (stale-while-revalidate): requests never wait for a refresh except the very first. A failed refresh keeps the
 * last good value and is retried on a later request; `onError` says so (logs, never secrets).
 */
export class SwrCache<T> {
  private value: T | undefined;
  private fetchedAt = 0;
  private inflight: Promise<T> | undefined;
  private readonly load: () => Promise<T>;
  private readonly maxAgeMs: number;
  private readonly onError: (e: unknown) => void;

  /** A value older than this is refreshed before use (after an idle spell, stale state is worse than one wait). */
  private readonly awaitAfterMs: number;

  constructor(load: () => Promise<T>, maxAgeMs: number, onError: (e: unknown) => void = () => {}, awaitAfterMs = Infinity) {
    this.load = load;
    this.maxAgeMs = maxAgeMs;
    this.onError = onError;
    this.awaitAfterMs = awaitAfterMs;
  }

  async get(exec?: { waitUntil(p: Promise<unknown>): void }, now = Date.now()): Promise<T> {
    if (this.value === undefined) return this.refresh();
    if (now - this.fetchedAt > this.awaitAfterMs) {
      return this.refresh().catch((e) => {
        this.onError(e);
        return this.value as T;
      });
    }
    if (now - this.fetchedAt > this.maxAgeMs && !this.inflight) {
      const p = this.refresh().catch((e) => {
        this.onError(e);
        return this.value as T;
      });
      exec?.waitUntil(p);
    }
    return this.value;
  }

  /** Drops the value so the next get() loads afresh (after a local admin change, for instance). */
  invalidate(): void {
    this.fetchedAt = 0;
  }

  /** Replaces the value (an admin change made by this isolate is visible to it at once). */
  set(value: T, now = Date.now()): void {
    this.value = value;
    this.fetchedAt = now;
  }

  private refresh(): Promise<T> {
    this.inflight ??= this.load()
      .then((v) => {
        this.set(v);
        return v;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
