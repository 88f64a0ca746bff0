import { METRICS, sanitizeCode, sanitizeMethod } from './catalog.ts';
import type { MetricsRecorder } from './recorder.ts';

/**
 * Caddy's HTTP metrics for one request through one top-level route: `handler` is the module name of that route's
 * first handler (e.g. `subroute` for host-wrapped sites), as Caddy labels it; `host` only with `per_host`.
 */
export interface RequestObservation {
  server: string;
  handler: string;
  host?: string;
  method: string;
  /** Status written, or the error's status when the route failed. */
  code: number;
  error: boolean;
  durationSeconds: number;
  /** Time to the response headers. */
  ttfbSeconds: number;
  requestBytes: number;
  responseBytes: number;
}

export function observeRequest(rec: MetricsRecorder, o: RequestObservation): void {
  const base: Record<string, string> = { server: o.server, handler: o.handler };
  if (o.host !== undefined) base.host = o.host;
  const labels = { ...base, code: sanitizeCode(o.code), method: sanitizeMethod(o.method) };
  rec.inc(METRICS.requestsTotal, base);
  if (o.error) rec.inc(METRICS.requestErrors, base);
  rec.observe(METRICS.requestDuration, labels, o.durationSeconds);
  rec.observe(METRICS.responseDuration, labels, o.ttfbSeconds);
  rec.observe(METRICS.requestSize, labels, o.requestBytes);
  rec.observe(METRICS.responseSize, labels, o.responseBytes);
}

/** Caddy's approximate request size: method, URL, protocol, headers, Host and the declared body length. */
export function requestSize(request: Request): number {
  let size = request.method.length + request.url.length + 'HTTP/1.1'.length;
  for (const [name, value] of request.headers) size += name.length + value.length;
  const length = Number(request.headers.get('Content-Length') ?? 0);
  return size + (Number.isFinite(length) ? length : 0);
}
