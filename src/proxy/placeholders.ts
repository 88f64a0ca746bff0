import { registerPlaceholderFamily } from '../http/placeholders/index.ts';
import { statusText } from '../http/placeholders/status-text.ts';
import type { RequestContext } from '../http/types.ts';
import { goDuration } from './go-duration.ts';

// Caddy's {http.reverse_proxy.*} placeholders ({rp.*} is the adapter's shorthand). One results object per request
// holds what the proxy learned; the placeholders read it only when a template asks, so a request that reads none
// pays one Map entry instead of a dozen (and no duration formatting).

/** The current attempt's upstream, as the placeholders show it. */
export interface AttemptUpstream {
  /** host:port (or the binding name of service/durable upstreams). */
  hostport: string;
  host: string;
  port: string;
  requests: number;
  maxRequests: number;
  fails: number;
}

/** What the reverse proxy knows about this request so far (replaced field by field per attempt). */
export interface ProxyResults {
  retries: number;
  upstream?: AttemptUpstream;
  status?: number;
  /** The upstream's response: its reason phrase and fields are read from it only when a placeholder asks. */
  response?: Response;
  /** Time to the upstream's response headers. */
  latencyMs?: number;
  /** Time since the handler started. */
  durationMs?: number;
}

// A key no placeholder can name (placeholder names have no white space).
const RESULTS_VAR = 'gatehouse reverse_proxy';

/** This request's proxy results, created on first use. */
export function proxyResults(ctx: RequestContext): ProxyResults {
  let r = ctx.vars.get(RESULTS_VAR) as ProxyResults | undefined;
  if (!r) ctx.vars.set(RESULTS_VAR, (r = { retries: 0 }));
  return r;
}

function results(ctx: RequestContext): ProxyResults | undefined {
  return ctx.vars.get(RESULTS_VAR) as ProxyResults | undefined;
}

/**
 * The upstream of the request's last proxy attempt (host:port, or a binding's name) and how many attempts were
 * made; undefined when no attempt was made.
 */
export function lastAttempt(ctx: RequestContext): { upstream: string; attempts: number } | undefined {
  const r = results(ctx);
  return r?.upstream ? { upstream: r.upstream.hostport, attempts: r.retries + 1 } : undefined;
}

type Read = (r: ProxyResults) => string | number | undefined;

const FIELDS: Record<string, Read> = {
  retries: (r) => r.retries,
  duration: (r) => (r.durationMs === undefined ? undefined : goDuration(r.durationMs)),
  duration_ms: (r) => r.durationMs,
  status_code: (r) => r.status,
  status_text: (r) =>
    r.status === undefined ? undefined : `${r.status} ${r.response?.statusText || statusText(r.status)}`.trim(),
  'upstream.address': (r) => r.upstream?.hostport,
  'upstream.hostport': (r) => r.upstream?.hostport,
  'upstream.host': (r) => r.upstream?.host,
  'upstream.port': (r) => r.upstream?.port,
  'upstream.requests': (r) => r.upstream?.requests,
  'upstream.max_requests': (r) => r.upstream?.maxRequests,
  'upstream.fails': (r) => r.upstream?.fails,
  'upstream.latency': (r) => (r.latencyMs === undefined ? undefined : goDuration(r.latencyMs)),
  'upstream.latency_ms': (r) => r.latencyMs,
  // Caddy's upstream duration also ends at the response headers.
  'upstream.duration': (r) => (r.latencyMs === undefined ? undefined : goDuration(r.latencyMs)),
  'upstream.duration_ms': (r) => r.latencyMs,
};

/** {rp.header.NAME}: the upstream's field (repeated values joined with ",", as Caddy does), unknown when absent. */
function upstreamHeader(r: ProxyResults, name: string): string | undefined {
  const headers = r.response?.headers;
  if (!headers) return undefined;
  if (name.toLowerCase() === 'set-cookie') {
    const cookies = headers.getSetCookie();
    return cookies.length ? cookies.join(',') : undefined;
  }
  return headers.get(name) ?? undefined;
}

registerPlaceholderFamily('http.reverse_proxy.', (name) => {
  if (name.startsWith('header.')) {
    const field = name.slice('header.'.length);
    return (ctx) => {
      const r = results(ctx);
      return r && upstreamHeader(r, field);
    };
  }
  const read = FIELDS[name];
  if (!read) return undefined;
  return (ctx) => {
    const r = results(ctx);
    const v = r && read(r);
    return v === undefined ? undefined : String(v);
  };
});
