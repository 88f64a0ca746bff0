import { mergeSeries, seriesKey, type SeriesData } from './batch.ts';
import type { MetricDef, MetricKind } from './catalog.ts';
import { settleWithin } from '../util/settle-within.ts';

/** How long a flush waits for the one in flight before sending its own batch anyway. */
const FLUSH_WAIT_MS = 1000;

/** A flush in flight this long is taken to be lost (its request cancelled): periodic flushes go on without it. */
const FLUSH_LOST_MS = 10 * FLUSH_WAIT_MS;

/**
 * One series of one metric in one isolate: callers resolve it once per label set and keep it, so recording is a few
 * number updates in place, with no label object, key or batch entry made per observation. What it accumulated since
 * the last flush is taken by the flush, which also bumps the recorder's generation: the next update re-lists the
 * series as pending (`gen` is the generation it is listed in).
 */
export class Series {
  readonly key: string;
  readonly name: string;
  readonly kind: MetricKind;
  readonly labels: Readonly<Record<string, string>>;
  gen = -1;
  private readonly recorder: MetricsRecorder;
  private value = 0;
  /** Level gauge: last write wins across isolates (by `at`); `until` bounds how long the value stays reported. */
  private level = false;
  private at = 0;
  private until: number | undefined;
  private readonly bounds: readonly number[];
  private readonly buckets: number[] | undefined;
  private sum = 0;
  private count = 0;

  constructor(recorder: MetricsRecorder, def: MetricDef, labels: Readonly<Record<string, string>>, key: string) {
    this.recorder = recorder;
    this.key = key;
    this.name = def.name;
    this.kind = def.kind;
    this.labels = labels;
    this.bounds = def.buckets ?? [];
    this.buckets = def.kind === 'histogram' ? new Array<number>(this.bounds.length + 1).fill(0) : undefined;
  }

  /** Counters, and in-flight style gauges (deltas that add up across isolates). */
  inc(by = 1): void {
    this.value += by;
    if (this.gen !== this.recorder.gen) this.recorder.attach(this);
  }

  /** Level gauges (health 1/0): the newest write wins across isolates; dropped by shards after `until`. */
  set(value: number, at = Date.now(), until?: number): void {
    this.level = true;
    this.value = value;
    this.at = at;
    this.until = until;
    if (this.gen !== this.recorder.gen) this.recorder.attach(this);
  }

  /** Histograms: one bucket of this series bumped. */
  observe(v: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]) i++;
    this.buckets![i]++;
    this.sum += v;
    this.count++;
    if (this.gen !== this.recorder.gen) this.recorder.attach(this);
  }

  /** What accumulated since the last take, as sent to a shard; the deltas start again from zero. */
  take(): SeriesData {
    const d: SeriesData = { name: this.name, kind: this.kind, labels: this.labels };
    if (this.buckets) {
      d.buckets = this.buckets.slice();
      d.sum = this.sum;
      d.count = this.count;
      this.buckets.fill(0);
      this.sum = 0;
      this.count = 0;
    } else if (this.level) {
      d.value = this.value;
      d.set = true;
      d.at = this.at;
      if (this.until !== undefined) d.until = this.until;
    } else {
      d.value = this.value;
      this.value = 0;
    }
    return d;
  }
}

export interface RecorderOptions {
  /** A flush is due once this many distinct series are pending, whatever the time (memory bound). */
  maxPendingSeries?: number;
  /** Series handles kept for reuse; past this the cache starts again (callers see `epoch` change). */
  maxSeries?: number;
  /** Picks this isolate's shard (default random). */
  shardSeed?: number;
  now?: number;
}

/**
 * Per-isolate metric accumulation: recording updates a cached Series in place (no I/O, no allocation on the request
 * path); the pending series are sent to a metrics shard every `flushMs`, or sooner once `maxPendingSeries` distinct
 * series are pending, through `waitUntil`. What an isolate loses if it is evicted is bounded by one flush interval.
 * A failed flush keeps its deltas so the next flush retries them.
 */
export class MetricsRecorder {
  /** Flush generation: a series updated with an older one is listed as pending again. */
  gen = 0;
  /** Bumped when the handle cache starts again: callers that cache Series must resolve them anew. */
  epoch = 0;
  readonly flushMs: number;
  readonly maxPendingSeries: number;
  readonly maxSeries: number;
  readonly shardSeed: number;
  private pending: Series[] = [];
  private handles = new Map<string, Series>();
  /** Single-label metrics by label value: resolving them needs no key string. */
  private byValue = new Map<MetricDef, Map<string, Series>>();
  private retry = new Map<string, SeriesData>();
  private lastFlush: number;
  private flushing: Promise<void> | undefined;

  constructor(flushMs = 10_000, opts: RecorderOptions = {}) {
    this.flushMs = flushMs;
    this.maxPendingSeries = opts.maxPendingSeries ?? 1_000;
    this.maxSeries = opts.maxSeries ?? 20_000;
    this.shardSeed = opts.shardSeed ?? Math.random();
    this.lastFlush = opts.now ?? Date.now();
  }

  /** The handle of one series, to keep and record into. */
  series(def: MetricDef, labels: Readonly<Record<string, string>>): Series {
    const key = seriesKey(def.name, labels);
    let s = this.handles.get(key);
    if (!s) {
      if (this.handles.size >= this.maxSeries) this.restartCache();
      s = new Series(this, def, { ...labels }, key);
      this.handles.set(key, s);
    }
    return s;
  }

  inc(def: MetricDef, labels: Readonly<Record<string, string>>, by = 1): void {
    this.lookup(def, labels).inc(by);
  }

  /** Level gauges (health 1/0): the newest write wins across isolates; `until` bounds how long it is reported. */
  gaugeSet(
    def: MetricDef,
    labels: Readonly<Record<string, string>>,
    value: number,
    now = Date.now(),
    until?: number,
  ): void {
    this.lookup(def, labels).set(value, now, until);
  }

  observe(def: MetricDef, labels: Readonly<Record<string, string>>, value: number): void {
    this.lookup(def, labels).observe(value);
  }

  /** Distinct series waiting for a flush. */
  get pendingSeries(): number {
    return this.pending.length + this.retry.size;
  }

  /** Whether a periodic flush is due now. */
  due(now = Date.now()): boolean {
    if (this.pendingSeries === 0 || (this.flushing && now - this.lastFlush < FLUSH_LOST_MS)) return false;
    return now - this.lastFlush >= this.flushMs || this.pending.length >= this.maxPendingSeries;
  }

  /**
   * Sends everything pending now (the scrape endpoint does this so its own isolate's numbers are included). A flush
   * another request started is waited for, under a timer of this request's own: the Workers runtime cancels a request
   * that only awaits another request's I/O, and that request may end first.
   */
  async flush(send: (batch: SeriesData[]) => Promise<void>, now = Date.now()): Promise<void> {
    if (this.flushing)
      await settleWithin(
        this.flushing.catch(() => {}),
        FLUSH_WAIT_MS,
        () => {},
      );
    const batch = this.take();
    this.lastFlush = now;
    if (batch.length === 0) return;
    // After a wait cut short, two flushes may be in flight: only the latest is remembered.
    const sent: Promise<void> = send(batch)
      .catch((e) => {
        this.putBack(batch);
        throw e;
      })
      .finally(() => {
        if (this.flushing === sent) this.flushing = undefined;
      });
    this.flushing = sent;
    return sent;
  }

  /** Lists `s` as pending in the current generation (called by Series on their first update after a flush). */
  attach(s: Series): void {
    s.gen = this.gen;
    this.pending.push(s);
  }

  private lookup(def: MetricDef, labels: Readonly<Record<string, string>>): Series {
    if (def.labels.length !== 1) return this.series(def, labels);
    let n = 0;
    for (const _ in labels) n++;
    if (n !== 1) return this.series(def, labels);
    const value = labels[def.labels[0]];
    if (value === undefined) return this.series(def, labels);
    let m = this.byValue.get(def);
    if (!m) this.byValue.set(def, (m = new Map()));
    let s = m.get(value);
    if (!s) m.set(value, (s = this.series(def, labels)));
    return s;
  }

  private restartCache(): void {
    this.handles = new Map();
    this.byValue = new Map();
    this.epoch++;
  }

  private take(): SeriesData[] {
    const out = this.retry;
    this.retry = new Map();
    for (const s of this.pending) {
      const d = s.take();
      const existing = out.get(s.key);
      if (existing) mergeSeries(existing, d);
      else out.set(s.key, d);
    }
    this.pending.length = 0;
    this.gen++;
    return [...out.values()];
  }

  private putBack(batch: SeriesData[]): void {
    for (const s of batch) {
      const key = seriesKey(s.name, s.labels);
      const existing = this.retry.get(key);
      if (existing) mergeSeries(existing, s);
      else this.retry.set(key, s);
    }
  }
}
