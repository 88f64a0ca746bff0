import { mergeSeries, seriesKey, type SeriesData } from './batch.ts';
import type { MetricDef } from './catalog.ts';

/**
 * Per-isolate metric accumulation: recording is a Map update (no I/O on the request path); the accumulated deltas
 * are sent to a metrics shard at most every `flushMs` (or sooner after `maxPending` observations) through
 * `waitUntil`. What an isolate loses if it is evicted is bounded by one flush interval. A failed flush puts its
 * deltas back so the next flush retries them.
 */
export class MetricsRecorder {
  private pending = new Map<string, SeriesData>();
  private observations = 0;
  private lastFlush: number;
  private flushing: Promise<void> | undefined;
  readonly flushMs: number;
  readonly maxPending: number;

  constructor(flushMs = 10_000, maxPending = 1_000, now = Date.now()) {
    this.flushMs = flushMs;
    this.maxPending = maxPending;
    this.lastFlush = now;
  }

  inc(def: MetricDef, labels: Record<string, string>, by = 1): void {
    this.add({ name: def.name, kind: def.kind, labels, value: by });
  }

  /** In-flight style gauges: deltas that add up across isolates. */
  gaugeAdd(def: MetricDef, labels: Record<string, string>, delta: number): void {
    this.add({ name: def.name, kind: 'gauge', labels, value: delta });
  }

  /** Level gauges (health 1/0): the newest write wins across isolates. */
  gaugeSet(def: MetricDef, labels: Record<string, string>, value: number, now = Date.now()): void {
    this.add({ name: def.name, kind: 'gauge', labels, value, set: true, at: now });
  }

  observe(def: MetricDef, labels: Record<string, string>, value: number): void {
    const bounds = def.buckets ?? [];
    const buckets = new Array<number>(bounds.length + 1).fill(0);
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    buckets[i] = 1;
    this.add({ name: def.name, kind: 'histogram', labels, buckets, sum: value, count: 1 });
  }

  /** Starts a flush through `send` when one is due; returns the promise to hand to waitUntil, if any. */
  maybeFlush(send: (batch: SeriesData[]) => Promise<void>, now = Date.now()): Promise<void> | undefined {
    if (this.flushing || this.pending.size === 0) return undefined;
    if (now - this.lastFlush < this.flushMs && this.observations < this.maxPending) return undefined;
    return this.flush(send, now);
  }

  /** Sends everything pending now (the scrape endpoint does this so its own isolate's numbers are included). */
  async flush(send: (batch: SeriesData[]) => Promise<void>, now = Date.now()): Promise<void> {
    if (this.flushing) await this.flushing;
    const batch = this.take();
    this.lastFlush = now;
    if (batch.length === 0) return;
    this.flushing = send(batch)
      .catch((e) => {
        for (const s of batch) this.add(s);
        throw e;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  private take(): SeriesData[] {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.observations = 0;
    return batch;
  }

  private add(s: SeriesData): void {
    this.observations++;
    const key = seriesKey(s.name, s.labels);
    const existing = this.pending.get(key);
    if (existing) mergeSeries(existing, s);
    else this.pending.set(key, { ...s, buckets: s.buckets && [...s.buckets] });
  }
}
