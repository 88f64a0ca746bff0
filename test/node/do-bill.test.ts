import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SimResult } from '../bench/sim/simulate.ts';
import { REFRESHES_PER_SECOND } from '../../src/proxy/pool-protocol.ts';

// The Durable Object targets at 300 colos × 4 isolates and 1M proxied requests/s, measured by the fleet
// simulation (test/bench/do-bill.ts) over the real isolate-side code. It runs in a Node process of its own: it
// replaces the clock and timers of the process it runs in.

const ROOT = join(import.meta.dirname, '..', '..');

function targetRuns(): { shipped: SimResult; noBudget: SimResult; overLimit: SimResult } {
  const res = spawnSync(process.execPath, [join(ROOT, 'test/bench/do-bill.ts'), '--target'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DO_BILL_SECONDS: '4' },
    timeout: 120_000,
  });
  expect(res.stderr).not.toMatch(/Error/);
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout);
}

const feature = (r: SimResult, name: string) => r.features.find((f) => f.feature === name)!;

describe('Durable Object calls of a 1M requests/s fleet', () => {
  const { shipped, noBudget, overLimit } = targetRuns();

  it('one hot rate-limit key (100k requests/s, far below its limit) keeps its object under 500 calls/s', () => {
    const hot = feature(shipped, 'rate_limit, hot key');
    expect(hot.peakRps).toBeGreaterThan(0);
    expect(hot.peakRps).toBeLessThanOrEqual(500);
    // Every hot request was allowed (the count is of decisions made in the measured seconds: a few straddle its ends).
    expect(shipped.hotDenied).toBe(0);
    expect(shipped.hotAllowed).toBeGreaterThan(0.999 * 100_000 * shipped.scenario.seconds);
  });

  it('a hot key far over its limit keeps its object under 500 calls/s and is still granted its whole limit', () => {
    const hot = feature(overLimit, 'rate_limit, hot key');
    expect(hot.peakRps).toBeGreaterThan(0);
    expect(hot.peakRps).toBeLessThanOrEqual(500);
    // 1,000 per 10 s: denied isolates come back about as fast as slots free, and every slot is used.
    const { maxEvents, windowMs } = overLimit.scenario.hotLimit;
    const windows = Math.floor((overLimit.scenario.seconds * 1000) / windowMs);
    expect(windows).toBeGreaterThanOrEqual(1);
    expect(overLimit.hotAllowed).toBeGreaterThanOrEqual(maxEvents * windows);
  });

  it('metrics flushes cost each isolate one call per flush interval, spread over the shards', () => {
    const metrics = feature(shipped, 'metrics flushes');
    const isolates = shipped.scenario.colos * shipped.scenario.isolatesPerColo;
    expect(metrics.perSecond).toBeLessThanOrEqual((isolates / (shipped.scenario.metricsFlushMs / 1000)) * 1.1);
    expect(metrics.objects).toBe(shipped.scenario.metricsShards);
  });

  it('pool refreshes carry the least_conn load within the object budget the pool asks its isolates to keep', () => {
    const pool = feature(shipped, 'pool snapshot refresh + least_conn load');
    expect(pool.perSecond).toBeGreaterThan(0);
    expect(pool.perSecond).toBeLessThanOrEqual(REFRESHES_PER_SECOND * 1.1);
    // Without the budget every one of the 1,200 isolates refreshes each second.
    const isolates = shipped.scenario.colos * shipped.scenario.isolatesPerColo;
    expect(feature(noBudget, 'pool snapshot refresh + least_conn load').perSecond).toBeGreaterThan(isolates * 0.9);
  });

  it('health checks + least_conn + metrics stay under 1 call per 1,000 requests', () => {
    const shared = ['pool snapshot refresh + least_conn load', 'active health check alarms', 'metrics flushes'];
    const perThousand = (r: SimResult) => shared.reduce((s, f) => s + feature(r, f).perMillion, 0) / 1000;
    expect(perThousand(shipped)).toBeLessThan(1);
    expect(feature(shipped, 'pool snapshot refresh + least_conn load').peakRps).toBeLessThanOrEqual(500);
    // Without the pool's refresh budget the pool object alone gets more than one call per 1,000.
    expect(perThousand(noBudget)).toBeGreaterThan(1);
  });
});
