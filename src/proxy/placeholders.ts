import { RP_RESPONSE_HEADERS } from '../http/placeholders/http.ts';
import type { RequestContext } from '../http/types.ts';

// The proxy's placeholders live in ctx.vars under their full Caddy names ({rp.*} is the adapter's shorthand for
// {http.reverse_proxy.*}); the placeholder resolver looks unknown names up there.

export const RP = 'http.reverse_proxy.';

const NAMES = [
  'retries', 'duration', 'duration_ms', 'status_code', 'status_text', 'upstream.address', 'upstream.hostport', 'upstream.host',
  'upstream.port', 'upstream.requests', 'upstream.max_requests', 'upstream.fails', 'upstream.latency', 'upstream.latency_ms',
  'upstream.duration', 'upstream.duration_ms',
] as const;
export type RpName = (typeof NAMES)[number];

// Full names built once: a key concatenated per call would be a new string to hash on every Map.set.
const FULL_NAME = Object.fromEntries(NAMES.map((n) => [n, RP + n])) as Record<RpName, string>;

/** A function value is computed only if a placeholder reads it (formatting durations on every request showed in profiles). */
export function setRp(ctx: RequestContext, name: RpName, value: string | number | boolean | (() => string)): void {
  ctx.vars.set(FULL_NAME[name], value);
}

/** {rp.status_code}, {rp.status_text}, {rp.header.*}: replaced per attempt. */
export function setResponsePlaceholders(ctx: RequestContext, status: number, statusText: string, headers: Headers): void {
  ctx.vars.set(RP_RESPONSE_HEADERS, headers);
  setRp(ctx, 'status_code', status);
  setRp(ctx, 'status_text', `${status} ${statusText || STATUS_TEXT[status] || ''}`.trim());
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
