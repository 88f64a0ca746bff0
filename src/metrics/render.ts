import { mergeSeries, seriesKey, type SeriesData } from './batch.ts';
import { METRICS, type MetricDef } from './catalog.ts';

/**
 * Merges the shards' series and renders the Prometheus text format through prom-client's registry. The values are
 * already aggregated across isolates, so each metric is registered as a collector that reports them as they are.
 */
export async function renderMetrics(shardDumps: SeriesData[][]): Promise<string> {
  const merged = new Map<string, SeriesData>();
  for (const dump of shardDumps) {
    for (const s of dump) {
      const key = seriesKey(s.name, s.labels);
      const existing = merged.get(key);
      if (existing) mergeSeries(existing, s);
      else merged.set(key, { ...s, buckets: s.buckets && [...s.buckets] });
    }
  }
  const byName = new Map<string, SeriesData[]>();
  for (const s of merged.values()) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }

  // Loaded on the first scrape: prom-client's module setup is the largest part of the bundle's start-up work.
  const { Registry } = await import('prom-client');
  const registry = new Registry();
  for (const def of Object.values(METRICS) as MetricDef[]) {
    const series = byName.get(def.name);
    if (!series?.length) continue;
    registry.registerMetric(collector(def, series) as never);
  }
  return registry.metrics();
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (the text format 0.0.4), known without loading prom-client. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A prom-client metric whose values are precomputed. */
function collector(def: MetricDef, series: SeriesData[]) {
  return {
    name: def.name,
    help: def.help,
    type: def.kind,
    aggregator: 'sum',
    get: async () => ({ name: def.name, help: def.help, type: def.kind, aggregator: 'sum', values: values(def, series) }),
    reset: () => {},
  };
}

function values(def: MetricDef, series: SeriesData[]): Value[] {
  if (def.kind !== 'histogram') return series.map((s) => ({ labels: s.labels, value: s.value ?? 0 }));
  const out: Value[] = [];
  const bounds = def.buckets ?? [];
  for (const s of series) {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += s.buckets?.[i] ?? 0;
      out.push({
        labels: { ...s.labels, le: i < bounds.length ? bounds[i] : '+Inf' },
        value: cumulative,
        metricName: `${def.name}_bucket`,
      });
    }
    out.push({ labels: s.labels, value: s.sum ?? 0, metricName: `${def.name}_sum` });
    out.push({ labels: s.labels, value: s.count ?? 0, metricName: `${def.name}_count` });
  }
  return out;
}
