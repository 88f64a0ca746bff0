import type { HeaderOpsJSON, RespHeaderOpsJSON } from '../adapt/directives/header-ops.ts';
import type { SelectionPolicyJSON } from './policies/module.ts';

// Caddy's reverse_proxy JSON as Gatehouse accepts it: the adapter writes this type and the compiler reads it, and
// the compiler's list of accepted fields is derived from it, so the two cannot drift apart.

export type LoadBalancingJSON = {
  selection_policy?: SelectionPolicyJSON;
  retries?: number;
  /** Nanoseconds, or a duration string. */
  try_duration?: number | string;
  try_interval?: number | string;
  retry_match?: Array<Record<string, unknown>>;
};

export type UpstreamJSON = {
  dial: string;
  max_requests?: number;
};

/** Durations are nanoseconds, or a duration string. */
export type ActiveHealthJSON = {
  uri?: string;
  path?: string;
  upstream?: string;
  port?: number;
  headers?: Record<string, string[]>;
  method?: string;
  body?: string;
  follow_redirects?: boolean;
  interval?: number | string;
  timeout?: number | string;
  passes?: number;
  fails?: number;
  max_size?: number;
  expect_status?: number;
  expect_body?: string;
};

export type PassiveHealthJSON = {
  fail_duration?: number | string;
  max_fails?: number;
  unhealthy_status?: number[];
  unhealthy_latency?: number | string;
  unhealthy_request_count?: number;
};

// Type aliases, not interfaces: they stay assignable to the open HandlerJSON while keyof lists only these fields.
export type ReverseProxyJSON = {
  handler: 'reverse_proxy';
  transport?: Record<string, unknown>;
  load_balancing?: LoadBalancingJSON;
  health_checks?: { active?: ActiveHealthJSON; passive?: PassiveHealthJSON };
  upstreams?: UpstreamJSON[];
  flush_interval?: number;
  trusted_proxies?: string[];
  headers?: { request?: HeaderOpsJSON; response?: RespHeaderOpsJSON };
  request_buffers?: number;
  response_buffers?: number;
  stream_timeout?: number;
  stream_close_delay?: number;
  stream_buffer_size?: number;
  rewrite?: { method?: string; uri?: string };
  handle_response?: Array<Record<string, unknown>>;
  verbose_logs?: boolean;
};

/** Every field name of `T`, listed once; a field missing from the list, or one not in `T`, fails to type-check. */
export function declaredFields<T>(fields: Record<keyof T & string, true>): readonly string[] {
  return Object.keys(fields);
}

export const REVERSE_PROXY_FIELDS = declaredFields<ReverseProxyJSON>({
  handler: true,
  transport: true,
  load_balancing: true,
  health_checks: true,
  upstreams: true,
  flush_interval: true,
  trusted_proxies: true,
  headers: true,
  request_buffers: true,
  response_buffers: true,
  stream_timeout: true,
  stream_close_delay: true,
  stream_buffer_size: true,
  rewrite: true,
  handle_response: true,
  verbose_logs: true,
});

export const LOAD_BALANCING_FIELDS = declaredFields<LoadBalancingJSON>({
  selection_policy: true,
  retries: true,
  try_duration: true,
  try_interval: true,
  retry_match: true,
});

export const UPSTREAM_FIELDS = declaredFields<UpstreamJSON>({ dial: true, max_requests: true });

export const ACTIVE_HEALTH_FIELDS = declaredFields<ActiveHealthJSON>({
  uri: true,
  path: true,
  upstream: true,
  port: true,
  headers: true,
  method: true,
  body: true,
  follow_redirects: true,
  interval: true,
  timeout: true,
  passes: true,
  fails: true,
  max_size: true,
  expect_status: true,
  expect_body: true,
});

export const PASSIVE_HEALTH_FIELDS = declaredFields<PassiveHealthJSON>({
  fail_duration: true,
  max_fails: true,
  unhealthy_status: true,
  unhealthy_latency: true,
  unhealthy_request_count: true,
});
