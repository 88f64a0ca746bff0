import type { ConfigStore } from '../durable/config-store.ts';
import type { MetricsShard } from '../durable/metrics-shard.ts';
import type { RateLimiter } from '../durable/rate-limiter.ts';
import type { UpstreamPool } from '../durable/upstream-pool.ts';

/**
 * The Worker's bindings and vars: every name Gatehouse itself reads, kept beside wrangler.toml (a test checks the two
 * and the CLI's generated configs agree). Every binding is optional: a missing one turns its feature off or is
 * refused with a reason, never a crash. Other names are the config's own: string vars for `{$VAR}` and `{env.VAR}`,
 * and the service bindings and Durable Object namespaces `service:` / `durable:` upstreams name.
 */
export interface Env {
  /** Config versions, staged rollout and the admin API's writes. */
  CONFIG_STORE?: DurableObjectNamespace<ConfigStore>;
  /** rate_limit zones' counters. */
  RATE_LIMITER?: DurableObjectNamespace<RateLimiter>;
  /** Metric shards the isolates flush to and the scrape reads. */
  METRICS?: DurableObjectNamespace<MetricsShard>;
  /** Upstream health and load shared between isolates. */
  UPSTREAM_POOL?: DurableObjectNamespace<UpstreamPool>;
  /** Static assets for file_server (Workers Static Assets). */
  ASSETS?: { fetch(request: Request): Promise<Response> };

  /** Caddy JSON to serve instead of the bundled Caddyfile (`gatehouse run` and `selfhost` bind it). */
  GATEHOUSE_CONFIG?: string;
  /** How often an isolate re-reads the config store, in ms (default 5000). */
  CONFIG_REFRESH_MS?: string;
  /** Secret; without it there is no admin route at all. */
  ADMIN_TOKEN?: string;
  /** Path prefix of the admin API (default `/gatehouse-admin`). */
  ADMIN_PATH?: string;
  /** A host name whose every path is the admin API, as Caddy's :2019. */
  ADMIN_HOST?: string;
  /** Secret for the metrics scrape (ADMIN_TOKEN also works). */
  METRICS_TOKEN?: string;
  /** Scrape path (default under the admin path). */
  METRICS_PATH?: string;
  /** Number of metric shards (default 4). */
  METRICS_SHARDS?: string;
  /** Metrics flush interval in ms (default 10000). */
  METRICS_FLUSH_MS?: string;
  /** Longest a request waits for a missing or long-stale pool snapshot, in ms (default 100). */
  UPSTREAM_POOL_WAIT_MS?: string;
  /** Set by `gatehouse run`/`selfhost`: access log lines for `output file` are routed to files by the CLI. */
  GATEHOUSE_LOG_FILES?: string;

  /** The config's own names: `{$VAR}` values, and bindings its upstreams name. */
  readonly [name: string]: unknown;
}

/** The part of the Worker's ExecutionContext the runtime uses: background work after the response. */
export interface WaitUntil {
  waitUntil(p: Promise<unknown>): void;
}
