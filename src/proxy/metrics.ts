import { METRICS } from '../metrics/catalog.ts';
import { flushMetricsNow, metricsRecorder } from '../metrics/index.ts';
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

function upstreamSeries(env: Record<string, unknown>, dial: string): { rec: MetricsRecorder; u: UpstreamSeries } {
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
export function recordUpstreamResponse(
  env: Record<string, unknown>,
  upstream: string,
  status: number,
  latencyMs: number,
): void {
  const { rec, u } = upstreamSeries(env, upstream);
  let requests = u.byStatus.get(status);
  if (!requests)
    u.byStatus.set(status, (requests = rec.series(METRICS.upstreamRequests, { upstream, code: String(status) })));
  requests.inc();
  u.latency.observe(latencyMs / 1000);
}

/** One attempt that got no response (connection refused, timeout, reset). */
export function recordUpstreamError(env: Record<string, unknown>, upstream: string): void {
  const { rec, u } = upstreamSeries(env, upstream);
  (u.errors ??= rec.series(METRICS.upstreamErrors, { upstream })).inc();
}

/**
 * How long a recorded upstream health value stays reported without a newer round: this, or three check intervals
 * when the caller gives its interval and that is longer. A pool whose upstreams left every config stops checking,
 * and its gauges then disappear, as Caddy resets the gauge when a reload drops an upstream. (The bound is by time
 * because no single isolate knows every live config: a scraping isolate may not serve the rollout candidate.)
 */
export const HEALTH_GAUGE_TTL_MS = 15 * 60_000;

/**
 * One round of active health checks, recorded by the UpstreamPool object: a pass/fail count per upstream and
 * caddy_reverse_proxy_upstreams_healthy (newest write wins across objects and isolates), flushed at once.
 * `intervalMs` (the pool's health_interval) stretches how long the gauge outlives its round, so rounds further apart
 * than HEALTH_GAUGE_TTL_MS / 3 do not leave gaps.
 */
export async function recordHealthRound(
  env: Record<string, unknown>,
  results: ReadonlyArray<{ upstream: string; passed: boolean; healthy: boolean }>,
  opts: { intervalMs?: number } = {},
): Promise<void> {
  const rec = metricsRecorder(env);
  const now = Date.now();
  const until = now + Math.max(HEALTH_GAUGE_TTL_MS, 3 * (opts.intervalMs ?? 0));
  for (const r of results) {
    rec.inc(METRICS.healthChecks, { upstream: r.upstream, result: r.passed ? 'pass' : 'fail' });
    rec.gaugeSet(METRICS.upstreamsHealthy, { upstream: r.upstream }, r.healthy ? 1 : 0, now, until);
  }
  await flushMetricsNow(env);
}
