import { METRICS, sanitizeCode, sanitizeMethod } from './catalog.ts';
import { HandlerError, type RequestContext } from '../http/types.ts';
import { metricsRecorder } from './index.ts';
import type { MetricsRecorder, Series } from './recorder.ts';

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

/** The series of one (host, handler) of one server, resolved once and updated in place. */
interface RouteSeries {
  labels: Readonly<Record<string, string>>;
  inFlight: Series;
  total: Series;
  errors: Series;
  /** By status, then by the request's method as sent (sanitized in the label). */
  byCode: Map<number, Map<string, StatusSeries>>;
}

interface StatusSeries {
  duration: Series;
  ttfb: Series;
  requestSize: Series;
  responseSize: Series;
}

/** Distinct hosts cached per server before the cache starts again. */
const MAX_CACHED_HOSTS = 10_000;

/**
 * Caddy (2.11.2+) observes once per matched top-level route, labelled with that route's first handler; a request
 * through two non-terminal top-level routes is observed twice, as there. A route that fails with a handler error
 * counts in request_errors_total with the error's status. Series are resolved once per (host, handler, status,
 * method) and then updated in place: no label object or key per request.
 */
export function routeInstrument(server: string, perHost: boolean): RouteInstrument {
  let cache: { rec: MetricsRecorder; epoch: number; byHost: Map<string, Map<string, RouteSeries>> } | undefined;

  const routeSeries = (rec: MetricsRecorder, host: string, handler: string): RouteSeries => {
    if (!cache || cache.rec !== rec || cache.epoch !== rec.epoch || cache.byHost.size > MAX_CACHED_HOSTS) {
      cache = { rec, epoch: rec.epoch, byHost: new Map() };
    }
    let byHandler = cache.byHost.get(host);
    if (!byHandler) cache.byHost.set(host, (byHandler = new Map()));
    let rs = byHandler.get(handler);
    if (!rs) {
      const labels: Record<string, string> = { server, handler };
      if (perHost) labels.host = host;
      rs = {
        labels,
        inFlight: rec.series(METRICS.requestsInFlight, labels),
        total: rec.series(METRICS.requestsTotal, labels),
        errors: rec.series(METRICS.requestErrors, labels),
        byCode: new Map(),
      };
      byHandler.set(handler, rs);
    }
    return rs;
  };

  return async (handler, ctx, run) => {
    const rec = metricsRecorder(ctx.env);
    const rs = routeSeries(rec, perHost ? ctx.originalUrl.host.toLowerCase() : '', handler);
    const method = ctx.request.method;
    const started = performance.now();
    rs.inFlight.inc(1);
    let res: Response | undefined;
    let errorStatus = 500;
    try {
      res = await run();
      return res;
    } catch (e) {
      if (e instanceof HandlerError && e.statusCode) errorStatus = e.statusCode;
      throw e;
    } finally {
      rs.inFlight.inc(-1);
      const seconds = (performance.now() - started) / 1000;
      rs.total.inc();
      if (res === undefined) rs.errors.inc();
      const obs = statusSeries(rec, rs, res?.status ?? errorStatus, method);
      obs.duration.observe(seconds);
      obs.ttfb.observe(seconds);
      obs.requestSize.observe(requestSize(ctx.request));
      obs.responseSize.observe(Number(res?.headers.get('Content-Length') ?? 0) || 0);
    }
  };
}

function statusSeries(rec: MetricsRecorder, rs: RouteSeries, status: number, method: string): StatusSeries {
  let byMethod = rs.byCode.get(status);
  if (!byMethod) rs.byCode.set(status, (byMethod = new Map()));
  let s = byMethod.get(method);
  if (!s) {
    const labels = { ...rs.labels, code: sanitizeCode(status), method: sanitizeMethod(method) };
    s = {
      duration: rec.series(METRICS.requestDuration, labels),
      ttfb: rec.series(METRICS.responseDuration, labels),
      requestSize: rec.series(METRICS.requestSize, labels),
      responseSize: rec.series(METRICS.responseSize, labels),
    };
    byMethod.set(method, s);
  }
  return s;
}
