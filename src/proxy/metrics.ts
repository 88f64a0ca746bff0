import { METRICS } from '../metrics/catalog.ts';
import { flushMetricsNow, metricsRecorder } from '../metrics/index.ts';

// Gatehouse's per-upstream metrics (Caddy has only upstreams_healthy; per-upstream traffic is a long-standing Caddy
// request). Labels use the upstream's dial address as configured, the `upstream` label Caddy's gauge uses.

/** One attempt that got a response: its status and the time until the response headers arrived. */
export function recordUpstreamResponse(env: Record<string, unknown>, upstream: string, status: number, latencyMs: number): void {
  const rec = metricsRecorder(env);
  rec.inc(METRICS.upstreamRequests, { upstream, code: String(status) });
  rec.observe(METRICS.upstreamLatency, { upstream }, latencyMs / 1000);
}

/** One attempt that got no response (connection refused, timeout, reset). */
export function recordUpstreamError(env: Record<string, unknown>, upstream: string): void {
  metricsRecorder(env).inc(METRICS.upstreamErrors, { upstream });
}

/**
 * One round of active health checks, recorded by the UpstreamPool object: a pass/fail count per upstream and
 * caddy_reverse_proxy_upstreams_healthy (newest write wins across objects and isolates), flushed at once.
 */
export async function recordHealthRound(
  env: Record<string, unknown>,
  results: ReadonlyArray<{ upstream: string; passed: boolean; healthy: boolean }>,
): Promise<void> {
  const rec = metricsRecorder(env);
  for (const r of results) {
    rec.inc(METRICS.healthChecks, { upstream: r.upstream, result: r.passed ? 'pass' : 'fail' });
    rec.gaugeSet(METRICS.upstreamsHealthy, { upstream: r.upstream }, r.healthy ? 1 : 0);
  }
  await flushMetricsNow(env);
}
