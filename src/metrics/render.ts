import { copySeries, expired, mergeSeries, seriesKey, type SeriesData } from './batch.ts';
import { METRICS, type MetricDef } from './catalog.ts';
import { formatGoFloat } from './go-float.ts';
import { renderExposition, type MetricFamily, type Sample } from './exposition.ts';

/**
 * Merges the shards' series and renders the Prometheus text format (as prom-client's registry would, see
 * exposition.ts). The values are already aggregated across isolates, so each metric reports them as they are.
 */
export async function renderMetrics(shardDumps: SeriesData[][], now = Date.now()): Promise<string> {
  const merged = new Map<string, SeriesData>();
  for (const dump of shardDumps) {
    for (const s of dump) {
      // A level gauge past its `until` is no longer reported (a fresher value from elsewhere may still fill in).
      if (expired(s, now)) continue;
      const key = seriesKey(s.name, s.labels);
      const existing = merged.get(key);
      if (existing) mergeSeries(existing, s);
      else merged.set(key, copySeries(s));
    }
  }
  const byName = new Map<string, SeriesData[]>();
  for (const s of merged.values()) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }

  const families: MetricFamily[] = [];
  for (const def of Object.values(METRICS) as MetricDef[]) {
    const series = withZeroSeries(def, byName.get(def.name));
    if (!series?.length) continue;
    families.push({ name: def.name, help: def.help, type: def.kind, values: values(def, series) });
  }
  return renderExposition(families);
}

/** The Prometheus text format 0.0.4 (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The recorded series plus a 0 for each of the metric's `zeroSeries` that nothing has recorded yet. */
function withZeroSeries(def: MetricDef, series: SeriesData[] | undefined): SeriesData[] | undefined {
  if (!def.zeroSeries) return series;
  const present = new Set((series ?? []).map((s) => seriesKey(def.name, s.labels)));
  const zeros = def.zeroSeries
    .filter((labels) => !present.has(seriesKey(def.name, labels)))
    .map((labels): SeriesData => ({ name: def.name, kind: def.kind, labels: { ...labels }, value: 0 }));
  return zeros.length ? [...(series ?? []), ...zeros] : series;
}

function values(def: MetricDef, series: SeriesData[]): Sample[] {
  if (def.kind !== 'histogram') return series.map((s) => ({ labels: s.labels, value: s.value ?? 0 }));
  const out: Sample[] = [];
  const bounds = def.buckets ?? [];
  for (const s of series) {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += s.buckets?.[i] ?? 0;
      out.push({
        labels: { ...s.labels, le: i < bounds.length ? formatGoFloat(bounds[i]) : '+Inf' },
        value: cumulative,
        metricName: `${def.name}_bucket`,
      });
    }
    out.push({ labels: s.labels, value: s.sum ?? 0, metricName: `${def.name}_sum` });
    out.push({ labels: s.labels, value: s.count ?? 0, metricName: `${def.name}_count` });
  }
  return out;
}
