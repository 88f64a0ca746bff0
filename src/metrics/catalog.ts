/**
 * Every metric Gatehouse exports: Caddy's names, labels and buckets where Caddy has the metric, so
 * existing dashboards and alerts keep working, plus Gatehouse's own under `gatehouse_`.
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  name: string;
  kind: MetricKind;
  help: string;
  labels: readonly string[];
  /** Upper bounds for histograms (the +Inf bucket is implied). */
  buckets?: readonly number[];
  /** Label sets exported as 0 before their first event, so a panel or alert on them has data on a healthy system. */
  zeroSeries?: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** Prometheus' DefBuckets, which Caddy uses for durations. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** ExponentialBuckets(256, 4, 8): 256 B … 4 MiB, Caddy's size buckets. */
export const SIZE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304] as const;

const HTTP = ['server', 'handler'] as const;
const HTTP_OBS = ['server', 'handler', 'code', 'method'] as const;

function def(
  name: string,
  kind: MetricKind,
  help: string,
  labels: readonly string[],
  buckets?: readonly number[],
): MetricDef {
  return { name, kind, help, labels, buckets };
}

/** Durable Object classes whose failed calls gatehouse_durable_object_errors_total counts. */
export const DURABLE_OBJECT_KINDS = ['ConfigStore', 'MetricsShard', 'RateLimiter', 'UpstreamPool'] as const;
export type DurableObjectKind = (typeof DURABLE_OBJECT_KINDS)[number];

export const METRICS = {
  requestsInFlight: def(
    'caddy_http_requests_in_flight',
    'gauge',
    'Number of requests currently handled by this server.',
    HTTP,
  ),
  requestsTotal: def('caddy_http_requests_total', 'counter', 'Counter of HTTP(S) requests made.', HTTP),
  requestErrors: def(
    'caddy_http_request_errors_total',
    'counter',
    'Number of requests resulting in middleware errors.',
    HTTP,
  ),
  requestDuration: def(
    'caddy_http_request_duration_seconds',
    'histogram',
    'Histogram of round-trip request durations.',
    HTTP_OBS,
    DURATION_BUCKETS,
  ),
  requestSize: def(
    'caddy_http_request_size_bytes',
    'histogram',
    'Total size of the request. Includes body',
    HTTP_OBS,
    SIZE_BUCKETS,
  ),
  responseSize: def(
    'caddy_http_response_size_bytes',
    'histogram',
    'Size of the returned response.',
    HTTP_OBS,
    SIZE_BUCKETS,
  ),
  responseDuration: def(
    'caddy_http_response_duration_seconds',
    'histogram',
    'Histogram of times to first byte in response bodies.',
    HTTP_OBS,
    DURATION_BUCKETS,
  ),
  // Caddy's HTTP series count a request once per matched top-level route; these count it once.
  gatehouseRequests: def(
    'gatehouse_requests_total',
    'counter',
    'HTTP requests, each counted once, by final status code.',
    ['server', 'code'],
  ),
  gatehouseRequestDuration: def(
    'gatehouse_request_duration_seconds',
    'histogram',
    'Round-trip request durations, each request observed once.',
    ['server', 'code'],
    DURATION_BUCKETS,
  ),
  upstreamsHealthy: def('caddy_reverse_proxy_upstreams_healthy', 'gauge', 'Health status of reverse proxy upstreams.', [
    'upstream',
  ]),

  upstreamRequests: def(
    'gatehouse_upstream_requests_total',
    'counter',
    'Requests proxied to each upstream, by status code.',
    ['upstream', 'code'],
  ),
  upstreamErrors: def('gatehouse_upstream_errors_total', 'counter', 'Failed attempts to reach each upstream.', [
    'upstream',
  ]),
  upstreamLatency: def(
    'gatehouse_upstream_latency_seconds',
    'histogram',
    'Time until the upstream answered with headers.',
    ['upstream'],
    DURATION_BUCKETS,
  ),
  healthChecks: def('gatehouse_health_checks_total', 'counter', 'Active health check results per upstream.', [
    'upstream',
    'result',
  ]),
  rateLimitAllowed: def('gatehouse_rate_limit_allowed_total', 'counter', 'Requests a rate_limit zone allowed.', [
    'zone',
  ]),
  rateLimitDenied: def('gatehouse_rate_limit_denied_total', 'counter', 'Requests a rate_limit zone refused with 429.', [
    'zone',
  ]),
  durableObjectErrors: {
    ...def('gatehouse_durable_object_errors_total', 'counter', 'Failed calls to Durable Objects, by object kind.', [
      'object',
    ]),
    zeroSeries: DURABLE_OBJECT_KINDS.map((object) => ({ object })),
  },
  configActive: def(
    'gatehouse_config_active_version',
    'gauge',
    'Config version served to clients outside a rollout.',
    [],
  ),
  configCandidate: def(
    'gatehouse_config_candidate_version',
    'gauge',
    'Config version being rolled out (0 when none).',
    [],
  ),
  configRolloutPercent: def(
    'gatehouse_config_rollout_percent',
    'gauge',
    'Share of clients served by the candidate config.',
    [],
  ),
} as const;

export type MetricName = keyof typeof METRICS;

/** Caddy's SanitizeMethod: the standard verbs upper-cased, anything else OTHER. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);
export function sanitizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : 'OTHER';
}

/** Caddy's SanitizeCode: 0 (nothing written) is reported as 200. */
export function sanitizeCode(code: number): string {
  return code === 0 ? '200' : String(code);
}
