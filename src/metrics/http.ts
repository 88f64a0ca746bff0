import { METRICS, sanitizeCode, sanitizeMethod } from './catalog.ts';
import { HandlerError, type RequestContext } from '../http/types.ts';
import { metricsRecorder } from './index.ts';
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

/** Wraps the run of one matched top-level route (the route and everything after it) in Caddy's HTTP metrics. */
export type RouteInstrument = (handler: string, ctx: RequestContext, run: () => Promise<Response>) => Promise<Response>;

/**
 * Caddy (2.11.2+) observes once per matched top-level route, labelled with that route's first handler; a request
 * through two non-terminal top-level routes is observed twice, as there. A route that fails with a handler error
 * counts in request_errors_total with the error's status.
 */
export function routeInstrument(server: string, perHost: boolean): RouteInstrument {
  return async (handler, ctx, run) => {
    const rec = metricsRecorder(ctx.env);
    const labels: Record<string, string> = { server, handler };
    if (perHost) labels.host = ctx.originalUrl.host.toLowerCase();
    const method = ctx.request.method;
    const started = performance.now();
    rec.gaugeAdd(METRICS.requestsInFlight, labels, 1);
    let res: Response | undefined;
    let errorStatus = 500;
    try {
      res = await run();
      return res;
    } catch (e) {
      if (e instanceof HandlerError && e.statusCode) errorStatus = e.statusCode;
      throw e;
    } finally {
      rec.gaugeAdd(METRICS.requestsInFlight, labels, -1);
      const seconds = (performance.now() - started) / 1000;
      observeRequest(rec, {
        server,
        handler,
        host: labels.host,
        method,
        code: res?.status ?? errorStatus,
        error: res === undefined,
        durationSeconds: seconds,
        ttfbSeconds: seconds,
        requestBytes: requestSize(ctx.request),
        responseBytes: Number(res?.headers.get('Content-Length') ?? 0) || 0,
      });
    }
  };
}
