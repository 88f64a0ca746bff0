import type { WaitUntil } from '../env.ts';
import { settleWithin } from './settle-within.ts';

/**
 * One value kept per isolate and refreshed in the background once it is older than `maxAgeMs`
 * (stale-while-revalidate): requests never wait for a refresh except when there is no value yet, or when the value
 * is older than `awaitAfterMs` (after an idle spell stale state is worse than a short wait). That wait is bounded by
 * `maxWaitMs`: past it the old value serves and the refresh finishes in the background. A failed refresh keeps the
 * last good value and is retried on a later request; `onError` says so (logs, never secrets).
 */
export interface SwrOptions<T = unknown> {
  /** A value older than this is refreshed before use, within maxWaitMs (default: never). */
  awaitAfterMs?: number;
  /** The longest a get() waits for that refresh before it serves the old value (default: as long as it takes). */
  maxWaitMs?: number;
  /** Called with each loaded value the cache keeps (awaited before the refresh settles), in the loading request. */
  onLoaded?: (value: T, exec: Exec | undefined) => void | Promise<void>;
  /** How long a request waits for a load another request started before it loads itself (default 2 s). */
  shareWaitMs?: number;
}

/** A request's ExecutionContext, as far as the cache needs it. */
type Exec = WaitUntil;

export class SwrCache<T> {
  private value: T | undefined;
  private fetchedAt = 0;
  private inflight: Promise<T> | undefined;
  /** The request (its ExecutionContext) whose I/O the inflight load is. */
  private inflightFor: Exec | undefined;
  private readonly load: () => Promise<T>;
  private maxAgeMs: number;
  private readonly onError: (e: unknown) => void;
  private awaitAfterMs: number;
  private readonly maxWaitMs: number;
  private readonly onLoaded: SwrOptions<T>['onLoaded'];
  private readonly shareWaitMs: number;
  /** Bumped by every set(): a refresh that started before a set() must not undo it. */
  private version = 0;

  constructor(
    load: () => Promise<T>,
    maxAgeMs: number,
    onError: (e: unknown) => void = () => {},
    o: SwrOptions<T> = {},
  ) {
    this.load = load;
    this.maxAgeMs = maxAgeMs;
    this.onError = onError;
    this.awaitAfterMs = o.awaitAfterMs ?? Infinity;
    this.maxWaitMs = o.maxWaitMs ?? Infinity;
    this.onLoaded = o.onLoaded;
    this.shareWaitMs = o.shareWaitMs ?? 2000;
  }

  /**
   * The value at once when get() would not wait for it (starting the background refresh a stale value needs), else
   * undefined: then the caller awaits get(). Spares the request path a promise per cache read.
   */
  getNow(exec?: Exec, now = Date.now()): T | undefined {
    if (this.value === undefined || now - this.fetchedAt > this.awaitAfterMs) return undefined;
    if (now - this.fetchedAt > this.maxAgeMs && !this.inflight) exec?.waitUntil(this.guarded(exec));
    return this.value;
  }

  async get(exec?: Exec, now = Date.now()): Promise<T> {
    const ready = this.getNow(exec, now);
    if (ready !== undefined) return ready;
    if (this.value === undefined) return this.refresh(exec);
    // Older than awaitAfterMs: refreshed before use, within maxWaitMs.
    const fresh = this.guarded(exec);
    if (this.maxWaitMs === Infinity) return fresh;
    exec?.waitUntil(fresh);
    return this.within(fresh, this.maxWaitMs);
  }

  /** Changes how old the value may get before a refresh, and before a request waits for one. */
  retune(maxAgeMs: number, awaitAfterMs: number): void {
    this.maxAgeMs = maxAgeMs;
    this.awaitAfterMs = awaitAfterMs;
  }

  /** The value as it is, without starting a refresh (undefined before the first load). */
  peek(): T | undefined {
    return this.value;
  }

  /** Starts a refresh now unless one is running (a config activation warming the cache); never throws. */
  revalidate(exec?: Exec): Promise<T> {
    const p = this.guarded(exec);
    exec?.waitUntil(p);
    return p;
  }

  /** Drops the value so the next get() loads afresh (after a local admin change, for instance). */
  invalidate(): void {
    this.fetchedAt = 0;
  }

  /** Replaces the value (an admin change made by this isolate is visible to it at once). */
  set(value: T, now = Date.now()): void {
    this.value = value;
    this.fetchedAt = now;
    this.version++;
  }

  /** A refresh whose failure is reported and answered with the last value. */
  private guarded(exec?: Exec): Promise<T> {
    return this.refresh(exec).catch((e) => {
      this.onError(e);
      return this.value as T;
    });
  }

  /** `p`'s value if it settles within `ms`, else the value held at that moment. */
  private within(p: Promise<T>, ms: number): Promise<T> {
    if (ms <= 0) return Promise.resolve(this.value as T);
    return settleWithin(p, ms, () => this.value as T);
  }

  /**
   * One load in flight per isolate. A request that finds another request's load waits for it under a timer of its
   * own and then loads itself: the Workers runtime cancels a request that only awaits another request's I/O (as
   * hung), and that request may end, its I/O with it, before the load settles.
   */
  private refresh(exec?: Exec): Promise<T> {
    if (this.inflight) {
      if (this.inflightFor === exec) return this.inflight;
      return settleWithin(this.inflight, this.shareWaitMs, () => this.loadAndKeep(exec));
    }
    const p = this.loadAndKeep(exec).finally(() => {
      if (this.inflight === p) this.inflight = this.inflightFor = undefined;
    });
    this.inflight = p;
    this.inflightFor = exec;
    return p;
  }

  private async loadAndKeep(exec: Exec | undefined): Promise<T> {
    const before = this.version;
    const v = await this.load();
    // A value set meanwhile (an admin change made through this isolate, another load) is newer than this one.
    if (this.version !== before && this.value !== undefined) return this.value;
    this.set(v);
    await this.onLoaded?.(v, exec);
    return v;
  }
}
