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

// Type aliases, not interfaces: they stay assignable to the open HandlerJSON while keyof lists only these fields.
export type ReverseProxyJSON = {
  handler: 'reverse_proxy';
  transport?: Record<string, unknown>;
  load_balancing?: LoadBalancingJSON;
  health_checks?: { active?: Record<string, unknown>; passive?: Record<string, unknown> };
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
