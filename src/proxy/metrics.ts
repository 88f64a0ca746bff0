import type { Env } from '../env.ts';
import { METRICS } from '../metrics/catalog.ts';
import { metricsRecorder } from '../metrics/index.ts';
import type { MetricsRecorder, Series } from '../metrics/recorder.ts';

// Gatehouse's per-upstream metrics (Caddy has only upstreams_healthy; per-upstream traffic is a long-standing Caddy
// request). Labels use the upstream's dial address as configured, the `upstream` label Caddy's gauge uses.

/** One upstream's series, resolved once and then updated in place per attempt. */
interface UpstreamSeries {
  dial: string;
  byStatus: Map<number, Series>;
  latency: Series;
  errors: Series | undefined;
}

let cache: { rec: MetricsRecorder; epoch: number; byDial: Map<string, UpstreamSeries> } | undefined;
/** Dial addresses come from configs; this only keeps a config churning through placeholders from growing it forever. */
const MAX_CACHED_UPSTREAMS = 10_000;

function upstreamSeries(env: Env, dial: string): { rec: MetricsRecorder; u: UpstreamSeries } {
  const rec = metricsRecorder(env);
  if (!cache || cache.rec !== rec || cache.epoch !== rec.epoch || cache.byDial.size > MAX_CACHED_UPSTREAMS) {
    cache = { rec, epoch: rec.epoch, byDial: new Map() };
  }
  let u = cache.byDial.get(dial);
  if (!u) {
    u = {
      dial,
      byStatus: new Map(),
      latency: rec.series(METRICS.upstreamLatency, { upstream: dial }),
      errors: undefined,
    };
    cache.byDial.set(dial, u);
  }
  return { rec, u };
}

/** One attempt that got a response: its status and the time until the response headers arrived. */
export function recordUpstreamResponse(env: Env, upstream: string, status: number, latencyMs: number): void {
  const { rec, u } = upstreamSeries(env, upstream);
  let requests = u.byStatus.get(status);
  if (!requests)
    u.byStatus.set(status, (requests = rec.series(METRICS.upstreamRequests, { upstream, code: String(status) })));
  requests.inc();
  u.latency.observe(latencyMs / 1000);
}

/** One attempt that got no response (connection refused, timeout, reset). */
export function recordUpstreamError(env: Env, upstream: string): void {
  const { rec, u } = upstreamSeries(env, upstream);
  (u.errors ??= rec.series(METRICS.upstreamErrors, { upstream })).inc();
}
