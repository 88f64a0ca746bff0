import type { Env, WaitUntil } from '../env.ts';
import type { MetricsShard } from '../../durable/metrics-shard.ts';
import { hasAdminToken } from '../admin/auth.ts';
import type { SeriesData } from './batch.ts';
import { METRICS, type DurableObjectKind } from './catalog.ts';
import { MetricsRecorder } from './recorder.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './render.ts';
import { shardCount, shardIndex, shardStub } from './shards.ts';

/**
 * Wiring of metrics to the Worker: one recorder per isolate, flushed to a shard chosen once per isolate, and the
 * Prometheus scrape endpoint that merges all shards.
 */
export type MetricsEnv = Pick<
  Env,
  'METRICS' | 'METRICS_SHARDS' | 'METRICS_FLUSH_MS' | 'METRICS_PATH' | 'METRICS_TOKEN' | 'ADMIN_TOKEN' | 'ADMIN_PATH'
>;

let recorder: MetricsRecorder | undefined;

function flushInterval(env: MetricsEnv): number {
  const ms = Number(env.METRICS_FLUSH_MS ?? 10_000);
  return Number.isFinite(ms) && ms >= 0 ? ms : 10_000;
}

/** This isolate's recorder. */
export function metricsRecorder(env: MetricsEnv): MetricsRecorder {
  return (recorder ??= new MetricsRecorder(flushInterval(env)));
}

/**
 * Makes `rec` this isolate's recorder (undefined: a new one on next use) and returns the previous one. Tests use it
 * to run real requests as several isolates would, each with its own recorder and shard.
 */
export function useMetricsRecorder(rec: MetricsRecorder | undefined): MetricsRecorder | undefined {
  const previous = recorder;
  recorder = rec;
  return previous;
}

function shard(env: MetricsEnv, index: number): DurableObjectStub<MetricsShard> {
  return shardStub(env.METRICS!, index);
}

/** Each recorder (isolate) writes to one shard, picked once by its seed, so shards share the write load. */
function sender(env: MetricsEnv, rec: MetricsRecorder): (batch: SeriesData[]) => Promise<void> {
  const index = shardIndex(env, rec.shardSeed);
  return async (batch) => {
    await shard(env, index).add(batch);
  };
}

export type { DurableObjectKind } from './catalog.ts';

/** Counts one failed call to a Durable Object (the call's own error handling and logging stay with the caller). */
export function countDurableObjectError(env: MetricsEnv, object: DurableObjectKind): void {
  metricsRecorder(env).inc(METRICS.durableObjectErrors, { object });
}

/** A flush that failed keeps its deltas for the next one; the failure is logged and counted. */
function flushFailed(env: MetricsEnv, retry: boolean): (e: unknown) => void {
  return (e) => {
    countDurableObjectError(env, 'MetricsShard');
    console.error(`gatehouse: metrics flush failed${retry ? ', will retry' : ''}: ${String(e)}`);
  };
}

/** Called after each request: hands a due flush to waitUntil (nothing is allocated when none is due). */
export function flushMetricsIfDue(env: MetricsEnv, exec?: WaitUntil): void {
  if (!env.METRICS) return;
  const rec = metricsRecorder(env);
  if (!rec.due()) return;
  const p = rec.flush(sender(env, rec));
  exec?.waitUntil(p.catch(flushFailed(env, true)));
}

export interface ConfigGauges {
  active: number | null;
  candidate: number | null;
  percent: number;
}

/** Sends this isolate's pending deltas now, due or not (tests that read the shards right after recording). */
export async function flushMetricsNow(env: MetricsEnv): Promise<void> {
  if (!env.METRICS) return;
  const rec = metricsRecorder(env);
  await rec.flush(sender(env, rec)).catch(flushFailed(env, true));
}

/** Values read only when scraped (they may ask Durable Objects), never recorded on the request path. */
export interface ScrapeSources {
  /** The config store's versions and rollout share. */
  config?: () => Promise<ConfigGauges | undefined>;
  /** Current health of the upstreams this isolate proxies to (caddy_reverse_proxy_upstreams_healthy). */
  upstreams?: () => Promise<ReadonlyArray<UpstreamHealthGauge>>;
}

export interface UpstreamHealthGauge {
  upstream: string;
  healthy: boolean;
  /** False when only assumed (Caddy's initial state): then a value a pool object recorded takes precedence. */
  known: boolean;
}

let defaultPath: { admin: string | undefined; path: string } | undefined;

/** METRICS_PATH, else `metrics` under the admin path (computed once per ADMIN_PATH value: this runs per request). */
function scrapePath(env: MetricsEnv): string {
  if (env.METRICS_PATH !== undefined) return env.METRICS_PATH;
  if (defaultPath === undefined || defaultPath.admin !== env.ADMIN_PATH) {
    defaultPath = {
      admin: env.ADMIN_PATH,
      path: `${(env.ADMIN_PATH ?? '/gatehouse-admin').replace(/\/+$/, '')}/metrics`,
    };
  }
  return defaultPath.path;
}

/** Whether the request is for the scrape endpoint (which exists only with a token and the METRICS binding). */
export function isScrapeRequest(url: URL, env: MetricsEnv): boolean {
  return !!(env.METRICS_TOKEN ?? env.ADMIN_TOKEN) && !!env.METRICS && url.pathname === scrapePath(env);
}

/** The scrape endpoint, or undefined when the request (its parsed `url`) is not for it. */
export async function handleScrape(
  request: Request,
  url: URL,
  env: MetricsEnv,
  sources: ScrapeSources = {},
): Promise<Response | undefined> {
  if (!isScrapeRequest(url, env)) return undefined;
  const allowed =
    (env.METRICS_TOKEN !== undefined && (await hasAdminToken(request, env.METRICS_TOKEN))) ||
    (env.ADMIN_TOKEN !== undefined && (await hasAdminToken(request, env.ADMIN_TOKEN)));
  if (!allowed)
    return new Response('missing or invalid metrics token\n', {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  return serveScrape(env, sources);
}

/**
 * The exposition response, without any access check: the scrape endpoint checks its token first, and the Caddyfile
 * `metrics` handler leaves access to whatever routes the Caddyfile puts around it, as Caddy does.
 */
export async function serveScrape(env: MetricsEnv, sources: ScrapeSources = {}): Promise<Response> {
  const unavailable =
    (what: string, object?: DurableObjectKind) =>
    (e: unknown): undefined => {
      if (object) countDurableObjectError(env, object);
      console.error(`gatehouse: ${what} unavailable for metrics: ${String(e)}`);
      return undefined;
    };
  const [config, upstreams] = await Promise.all([
    // The config gauges are one ConfigStore call; upstream health leaves out pools it cannot reach by itself.
    sources.config?.().catch(unavailable('config gauges', 'ConfigStore')),
    sources.upstreams?.().catch(unavailable('upstream health')),
  ]);
  let text: string;
  try {
    text = await scrape(env, config, upstreams);
  } catch (e) {
    // A partial scrape would show counters going down (a reset, to Prometheus): better no sample than a wrong one.
    console.error(`gatehouse: metrics shards unavailable: ${String(e)}`);
    return new Response('metrics shards unavailable\n', { status: 503, headers: { 'Retry-After': '10' } });
  }
  return new Response(text, { headers: { 'Content-Type': METRICS_CONTENT_TYPE } });
}

/** Everything all isolates flushed, plus this isolate's pending deltas, the config gauges and upstream health. */
export async function scrape(
  env: MetricsEnv,
  config?: ConfigGauges,
  upstreams?: ReadonlyArray<UpstreamHealthGauge>,
): Promise<string> {
  const rec = metricsRecorder(env);
  await rec.flush(sender(env, rec)).catch(flushFailed(env, false));
  const dumps: SeriesData[][] = await Promise.all(
    Array.from({ length: shardCount(env) }, (_, i) =>
      (shard(env, i).dump() as Promise<SeriesData[]>).catch((e: unknown) => {
        countDurableObjectError(env, 'MetricsShard');
        throw e;
      }),
    ),
  );
  const now = Date.now();
  const gauge = (name: string, labels: Record<string, string>, value: number, at = now): SeriesData => ({
    name,
    kind: 'gauge',
    labels,
    value,
    set: true,
    at,
  });
  if (config) {
    dumps.push([
      gauge(METRICS.configActive.name, {}, config.active ?? 0),
      gauge(METRICS.configCandidate.name, {}, config.candidate ?? 0),
      gauge(METRICS.configRolloutPercent.name, {}, config.percent),
    ]);
  }
  if (upstreams) {
    // Current health wins over what the pool objects last flushed; an assumed value (at 0) only fills a gap.
    dumps.push(
      upstreams.map((u) =>
        gauge(METRICS.upstreamsHealthy.name, { upstream: u.upstream }, u.healthy ? 1 : 0, u.known ? now : 0),
      ),
    );
  }
  return renderMetrics(dumps, now);
}
