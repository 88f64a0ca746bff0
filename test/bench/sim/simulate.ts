import { RateLimiter } from '../../../durable/rate-limiter.ts';
import type { MetricsShard } from '../../../durable/metrics-shard.ts';
import {
  budgetRefreshMs,
  initialUpstreamState,
  RECENT_HOLDER_MS,
  type PoolConfig,
  type PoolSnapshot,
} from '../../../src/proxy/pool-protocol.ts';
import type { RequestContext } from '../../../src/http/types.ts';
import { METRICS } from '../../../src/metrics/catalog.ts';
import { flushMetricsIfDue, useMetricsRecorder } from '../../../src/metrics/index.ts';
import { MetricsRecorder } from '../../../src/metrics/recorder.ts';
import type { ActiveHealth } from '../../../src/proxy/active-health.ts';
import { DEFAULT_POOL_WAIT_MS, SharedPool, snapshotMaxAgeMs } from '../../../src/proxy/shared-pool.ts';
import { LeaseHolder, leaseLimit } from '../../../src/ratelimit/lease.ts';
import { SwrCache } from '../../../src/util/swr-cache.ts';
import { SimClock } from './clock.ts';
import { Meter } from './meter.ts';
import { prng } from '../../prng.ts';

/**
 * The fleet model behind test/bench/do-bill.ts. Time advances in STEP_MS steps of simulated time; in each step every
 * isolate gets its share of the request rate (a fractional accumulator per isolate, started at a random phase).
 *
 * - Rate limits (src/ratelimit/lease.ts, the real LeaseHolder, one per isolate, against the real RateLimiter object
 *   logic with an in-memory SQL stand-in): every request passes one zone keyed per client. `hotShare` of the requests
 *   carry one hot key and are decided one by one in every isolate. The rest follow a Zipf law over `tailKeys` keys;
 *   they are run in `tailSampleIsolates` isolates only, with the tail limit scaled down by the same fraction (so a key
 *   that is over its limit in the fleet is over it in the sample), and their calls scaled back up.
 * - Upstream pool (src/proxy/shared-pool.ts, the real SharedPool per isolate, least_conn: each refresh reports load),
 *   passive failures (its reportFailure batching), config refresh (the SwrCache the config layer reads the store
 *   through, every CONFIG_REFRESH_MS) and metrics (the real recorder and flushMetricsIfDue per isolate): their calls
 *   depend on time, not on how many requests an isolate serves, so each isolate's requests of one step go through
 *   them as one request (metrics counts all of them).
 * - Active health checks run in the pool object's alarm: one alarm per check interval (counted, not run).
 * - Every call takes RTT_MS to answer; the object is taken to be busy BUSY_MS per call (ALARM_BUSY_MS per alarm: it
 *   waits for the checks), which is what the duration bill counts.
 */
export interface Scenario {
  name: string;
  colos: number;
  isolatesPerColo: number;
  /** Proxied requests per second, whole fleet. */
  rps: number;
  seconds: number;
  warmupSeconds: number;
  hotShare: number;
  hotLimit: { maxEvents: number; windowMs: number };
  tailKeys: number;
  zipfS: number;
  tailLimit: { maxEvents: number; windowMs: number };
  tailSampleIsolates: number;
  /** Passive failures per proxied request. */
  failureRate: number;
  activeIntervalMs: number;
  metricsShards: number;
  metricsFlushMs: number;
  configRefreshMs: number;
  /**
   * Whether the pool object asks its isolates for longer refreshes when many hold it, as UpstreamPool does (default);
   * false: every isolate refreshes at its own interval, as before that budget existed.
   */
  poolRefreshBudget?: boolean;
  seed?: number;
}

export const STEP_MS = 10;
export const RTT_MS = 20;
export const BUSY_MS = 1;
export const ALARM_BUSY_MS = 100;

export const FEATURES = {
  hot: 'rate_limit, hot key',
  tail: 'rate_limit, Zipf tail',
  pool: 'pool snapshot refresh + least_conn load',
  failures: 'passive failure batches',
  alarms: 'active health check alarms',
  metrics: 'metrics flushes',
  config: 'config refresh',
} as const;

export interface FeatureResult {
  feature: string;
  perMillion: number;
  /** Calls per simulated second (after warm-up), whole fleet. */
  perSecond: number;
  peakRps: number;
  objects: number;
  busySecondsPerSecond: number;
}

export interface SimResult {
  scenario: Scenario;
  features: FeatureResult[];
  /** Requests the hot key's zone allowed and denied (a sanity check that leases keep the limit). */
  hotAllowed: number;
  hotDenied: number;
}

function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1) ** s;
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A namespace whose stubs run `make(id)`'s methods after RTT_MS and count each call under `feature(method)`. */
function countingNamespace<T extends object>(
  clock: SimClock,
  meter: Meter,
  make: (id: string) => T,
  feature: (method: string) => string,
  weight = 1,
) {
  const objects = new Map<string, T>();
  return {
    idFromName: (name: string) => name,
    get: (id: string): Record<string, (...args: unknown[]) => Promise<unknown>> =>
      new Proxy(
        {},
        {
          get:
            (_t, method: string) =>
            (...args: unknown[]) => {
              meter.call(feature(method), id, BUSY_MS, weight);
              let obj = objects.get(id);
              if (!obj) objects.set(id, (obj = make(id)));
              const result = (obj as Record<string, (...a: unknown[]) => unknown>)[method](...args);
              return new Promise((resolve) => clock.schedule(() => resolve(result), RTT_MS));
            },
        },
      ),
  };
}

/** The RateLimiter object's logic over an in-memory stand-in for its SQL table. */
function rateLimiterObject(): RateLimiter {
  let rowid = 0;
  const sql = { exec: () => ({ one: () => ({ id: ++rowid }), toArray: () => [] }) };
  return new RateLimiter({ storage: { sql } } as unknown as DurableObjectState, {});
}

/** The UpstreamPool's answers as isolates see them: every upstream healthy, and the refresh budget it asks for. */
function poolObject(clock: SimClock, config: PoolConfig, budget: boolean) {
  const lastCall = new Map<string, number>();
  const answer = (holder: string): PoolSnapshot => {
    lastCall.set(holder, clock.now);
    const upstreams: PoolSnapshot['upstreams'] = {};
    for (const u of config.upstreams) upstreams[u] = initialUpstreamState();
    if (!budget) return { at: clock.now, upstreams };
    let recent = 0;
    for (const at of lastCall.values()) if (clock.now - at < RECENT_HOLDER_MS) recent++;
    return { at: clock.now, upstreams, refreshMs: budgetRefreshMs(recent) };
  };
  return {
    configure: (_config: PoolConfig, holder: string) => answer(holder),
    poll: (holder: string) => answer(holder),
    reportLoad: (holder: string) => answer(holder),
    reportFailures: (_batch: unknown, holder: string) => answer(holder),
    release: () => undefined,
  };
}

export async function simulate(sc: Scenario): Promise<SimResult> {
  const clock = new SimClock();
  const meter = new Meter(clock);
  const random = prng(sc.seed ?? 1);
  const isolates = sc.colos * sc.isolatesPerColo;
  const sample = Math.min(isolates, sc.tailSampleIsolates);
  const tailScale = isolates / sample;
  const zipf = zipfSampler(sc.tailKeys, sc.zipfS, random);

  const exec = { waitUntil: (_p: Promise<unknown>) => {} };
  const ctx = { exec } as unknown as RequestContext;
  const hotNs = countingNamespace(clock, meter, rateLimiterObject, (m) =>
    process.env.DO_BILL_SPLIT ? `${FEATURES.hot} ${m}` : FEATURES.hot,
  ) as unknown as DurableObjectNamespace<RateLimiter>;
  const tailNs = countingNamespace(
    clock,
    meter,
    rateLimiterObject,
    () => FEATURES.tail,
    tailScale,
  ) as unknown as DurableObjectNamespace<RateLimiter>;
  const hotLimit = leaseLimit(sc.hotLimit.maxEvents, sc.hotLimit.windowMs);
  const tailLimit = leaseLimit(
    Math.max(1, Math.round((sc.tailLimit.maxEvents * sample) / isolates)),
    sc.tailLimit.windowMs,
  );

  const poolConfig: PoolConfig = {
    upstreams: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'],
    active: { uri: '/health', intervalMs: sc.activeIntervalMs, timeoutMs: 5000, method: 'GET', headers: {} },
  } as PoolConfig;
  const poolNs = countingNamespace(
    clock,
    meter,
    () => poolObject(clock, poolConfig, sc.poolRefreshBudget !== false),
    (m) => (m === 'reportFailures' ? FEATURES.failures : FEATURES.pool),
  );
  const poolMaxAge = snapshotMaxAgeMs({ intervalMs: sc.activeIntervalMs } as ActiveHealth);
  const metricsNs = countingNamespace(
    clock,
    meter,
    () => ({ add: () => undefined }),
    () => FEATURES.metrics,
  );
  const env = {
    METRICS: metricsNs as unknown as DurableObjectNamespace<MetricsShard>,
    METRICS_SHARDS: String(sc.metricsShards),
    METRICS_FLUSH_MS: String(sc.metricsFlushMs),
  };
  const configNs = countingNamespace(
    clock,
    meter,
    () => ({ snapshot: () => ({ active: 1 }) }),
    () => FEATURES.config,
  );

  clock.install();
  let hotAllowed = 0;
  let hotDenied = 0;
  try {
    const fleet = Array.from({ length: isolates }, (_, i) => {
      const recorder = new MetricsRecorder(sc.metricsFlushMs, {
        shardSeed: random(),
        now: clock.now - random() * sc.metricsFlushMs,
      });
      // Each simulated isolate is its own holder at the object, as real isolates are.
      const pool = new SharedPool(poolNs as never, poolConfig, {
        maxAgeMs: poolMaxAge,
        waitMs: DEFAULT_POOL_WAIT_MS,
        holder: () => `isolate-${i}`,
      });
      pool.sharesLoad = true;
      return {
        index: i,
        acc: random(),
        hotAcc: random(),
        failAcc: random(),
        // Isolates start at different times (their refresh timers are not in step), all within the warm-up.
        startAt: clock.now + random() * sc.warmupSeconds * 500,
        holder: new LeaseHolder(),
        pool,
        recorder,
        // The handle a request path keeps (src/metrics/http.ts resolves its series once).
        requests: recorder.series(METRICS.requestsTotal, { server: 'srv0', handler: 'reverse_proxy' }),
        config: new SwrCache(() => configNs.get('config').snapshot() as Promise<unknown>, sc.configRefreshMs),
      };
    });
    const perIsolateStep = (sc.rps / isolates) * (STEP_MS / 1000);
    const start = clock.now;
    meter.from = start + sc.warmupSeconds * 1000;
    const end = start + (sc.warmupSeconds + sc.seconds) * 1000;
    let nextAlarm = start;
    const count = (d: { allowed: boolean }) => {
      if (clock.now < meter.from) return;
      if (d.allowed) hotAllowed++;
      else hotDenied++;
    };
    while (clock.now < end) {
      if (clock.now >= nextAlarm) {
        meter.call(FEATURES.alarms, 'pool', ALARM_BUSY_MS);
        nextAlarm += sc.activeIntervalMs;
      }
      for (const iso of fleet) {
        if (clock.now < iso.startAt) continue;
        iso.acc += perIsolateStep;
        const n = Math.floor(iso.acc);
        if (n === 0) continue;
        iso.acc -= n;
        iso.hotAcc += n * sc.hotShare;
        const hot = Math.floor(iso.hotAcc);
        iso.hotAcc -= hot;
        for (let k = 0; k < hot; k++) {
          const d = iso.holder.take('hot\nthe-hot-key', hotLimit, hotNs, exec);
          if (d instanceof Promise) d.then(count, () => {});
          else count(d);
        }
        if (iso.index < sample) {
          for (let k = hot; k < n; k++) {
            const d = iso.holder.take(`tail\n${zipf()}`, tailLimit, tailNs, exec);
            if (d instanceof Promise) d.catch(() => {});
          }
        }
        if (!iso.pool.snapshotNow(ctx)) iso.pool.snapshot(ctx).catch(() => {});
        iso.failAcc += n * sc.failureRate;
        for (; iso.failAcc >= 1; iso.failAcc--) iso.pool.reportFailure(poolConfig.upstreams[0], ctx);
        if (iso.config.getNow(exec) === undefined) iso.config.get(exec).catch(() => {});
        useMetricsRecorder(iso.recorder);
        iso.requests.inc(n);
        flushMetricsIfDue(env, exec);
      }
      await clock.advanceTo(clock.now + STEP_MS);
    }
    for (const iso of fleet) iso.holder.clear();
  } finally {
    useMetricsRecorder(undefined);
    clock.uninstall();
  }

  const wallMs = sc.seconds * 1000;
  const requests = sc.rps * sc.seconds;
  const names = process.env.DO_BILL_SPLIT
    ? [...new Set([...Object.values(FEATURES), ...meter.calls.keys()])]
    : Object.values(FEATURES);
  const features = names.map((feature): FeatureResult => {
    const calls = meter.calls.get(feature) ?? 0;
    const peak = meter.peak(feature);
    return {
      feature,
      perMillion: (calls / requests) * 1e6,
      perSecond: calls / sc.seconds,
      peakRps: peak.rps,
      objects: meter.objects(feature),
      busySecondsPerSecond: meter.busySeconds(feature, wallMs) / sc.seconds,
    };
  });
  return { scenario: sc, features, hotAllowed, hotDenied };
}
