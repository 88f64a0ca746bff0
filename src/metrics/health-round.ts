import { METRICS } from './catalog.ts';
import type { MetricsRecorder } from './recorder.ts';

/**
 * How long a recorded upstream health value stays reported without a newer round: this, or three check intervals
 * when the caller gives its interval and that is longer. A pool whose upstreams left every config stops checking,
 * and its gauges then disappear, as Caddy resets the gauge when a reload drops an upstream. (The bound is by time
 * because no single isolate knows every live config: a scraping isolate may not serve the rollout candidate.)
 */
export const HEALTH_GAUGE_TTL_MS = 15 * 60_000;

/**
 * One round of active health checks: a pass/fail count per upstream and caddy_reverse_proxy_upstreams_healthy
 * (newest write wins across objects and isolates). `intervalMs` (the pool's health_interval) stretches how long the
 * gauge outlives its round, so rounds further apart than HEALTH_GAUGE_TTL_MS / 3 do not leave gaps.
 */
export function recordHealthRound(
  rec: MetricsRecorder,
  results: ReadonlyArray<{ upstream: string; passed: boolean; healthy: boolean }>,
  opts: { intervalMs?: number; now?: number } = {},
): void {
  const now = opts.now ?? Date.now();
  const until = now + Math.max(HEALTH_GAUGE_TTL_MS, 3 * (opts.intervalMs ?? 0));
  for (const r of results) {
    rec.inc(METRICS.healthChecks, { upstream: r.upstream, result: r.passed ? 'pass' : 'fail' });
    rec.gaugeSet(METRICS.upstreamsHealthy, { upstream: r.upstream }, r.healthy ? 1 : 0, now, until);
  }
}
