import type { MetricKind } from './catalog.ts';

/**
 * What isolates send to a metrics shard and shards return to the scraper: series keyed by metric name and label
 * values. Counters and histograms are deltas that add up; gauges are either deltas (in-flight) or last-write values
 * (upstream health), as each series says.
 */
export interface SeriesData {
  name: string;
  kind: MetricKind;
  labels: Record<string, string>;
  /** Counter or gauge value. */
  value?: number;
  /** Gauges written as a level rather than a delta (last write wins, by `at`). */
  set?: boolean;
  at?: number;
  /** Level gauges: when (ms since epoch) the value stops being true unless written again; shards then drop it. */
  until?: number;
  /** Histogram: per-bucket counts (not cumulative), the +Inf bucket last; sum and count of observations. */
  buckets?: number[];
  sum?: number;
  count?: number;
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  let key = name;
  for (const k of keys) key += `\u0000${k}\u0001${labels[k]}`;
  return key;
}

/** Adds `add` into `into` (same series). */
export function mergeSeries(into: SeriesData, add: SeriesData): void {
  if (add.kind === 'histogram') {
    const buckets = into.buckets ?? [];
    add.buckets?.forEach((n, i) => {
      buckets[i] = (buckets[i] ?? 0) + n;
    });
    into.buckets = buckets;
    into.sum = (into.sum ?? 0) + (add.sum ?? 0);
    into.count = (into.count ?? 0) + (add.count ?? 0);
    return;
  }
  if (add.set) {
    if ((add.at ?? 0) >= (into.at ?? 0)) {
      into.value = add.value;
      into.at = add.at;
      into.set = true;
      if (add.until === undefined) delete into.until;
      else into.until = add.until;
    }
    return;
  }
  into.value = (into.value ?? 0) + (add.value ?? 0);
}

/** A copy that shares nothing mutable with `s`. */
export function copySeries(s: SeriesData): SeriesData {
  return { ...s, buckets: s.buckets && [...s.buckets] };
}

/** Level gauges whose `until` has passed are no longer reported (a removed upstream's health, for one). */
export function expired(s: SeriesData, now: number): boolean {
  return s.set === true && s.until !== undefined && s.until < now;
}
