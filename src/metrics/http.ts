import { METRICS, sanitizeCode, sanitizeMethod } from './catalog.ts';
import { HandlerError, type RequestContext } from '../http/types.ts';
import { AbortConnection } from '../http/handlers/errors.ts';
import type { CaddyConfigJSON, ServerJSON } from '../config/caddy-json.ts';
import { parseListen } from '../config/listen.ts';
import { metricsRecorder } from './index.ts';
import type { MetricsRecorder, Series } from './recorder.ts';

let headerBytes = 0;
let declaredLength = 0;
function addHeader(value: string, name: string): void {
  // Go keeps Host out of the header map and Caddy adds len(r.Host): the value without the name.
  headerBytes += (name === 'host' ? 0 : name.length) + value.length;
  if (name === 'content-length') declaredLength = Number(value);
}

/**
 * Caddy's approximate request size (computeApproximateRequestSize): the request-target (path and query, as Go's
 * r.URL of a server request), method, protocol, headers, Host and the declared body length.
 */
export function requestSize(request: Request): number {
  headerBytes = 0;
  declaredLength = 0;
  // forEach with a module-level callback: no iterator or [name, value] pair per header (the runtime's names are
  // lower case), and the declared length picked up on the way.
  request.headers.forEach(addHeader);
  const url = request.url;
  const path = url.indexOf('/', url.indexOf('//') + 2);
  const target = path < 0 ? 1 : url.length - path;
  return (
    request.method.length +
    target +
    8 /* HTTP/1.1 */ +
    headerBytes +
    (Number.isFinite(declaredLength) ? declaredLength : 0)
  );
}

/**
 * Caddy 2.11's cardinality guard for `per_host`: only hosts that a top-level host matcher names (exactly: no
 * wildcard or placeholder) get their own `host` label; any other host is `_other`, unless `observe_catchall_hosts`
 * is set or the request is HTTPS and some server has TLS (modules/caddyhttp/metrics.go, scanConfigForHosts and
 * shouldAllowHostMetrics). The compared host is the request's Host lowercased, port included when sent, as there.
 */
export interface MetricsHosts {
  allowed: ReadonlySet<string>;
  observeCatchallHosts: boolean;
  /** Some server would serve TLS in Caddy (explicit connection policies, or automatic HTTPS turned it on). */
  hasHttpsServer: boolean;
}

/** The `_other` label Caddy gives hosts that no host matcher names. */
export const OTHER_HOST = '_other';

/** Scans a config as Caddy's Metrics.scanConfigForHosts does (after automatic HTTPS phase 1 for the TLS part). */
export function metricsHosts(config: CaddyConfigJSON): MetricsHosts {
  const http = config.apps?.http;
  const metrics = (http?.metrics ?? {}) as { observe_catchall_hosts?: unknown };
  const allowed = new Set<string>();
  let hasHttpsServer = false;
  const httpPort = typeof http?.http_port === 'number' ? http.http_port : 80;
  const httpsPort = typeof http?.https_port === 'number' ? http.https_port : 443;
  for (const srv of Object.values(http?.servers ?? {})) {
    const hosts = topLevelHosts(srv);
    for (const h of hosts) if (!/[{*]/.test(h)) allowed.add(asciiLower(h));
    if (!hasHttpsServer && serverHasTls(srv, hosts, httpPort, httpsPort)) hasHttpsServer = true;
  }
  return { allowed, observeCatchallHosts: metrics.observe_catchall_hosts === true, hasHttpsServer };
}

function topLevelHosts(srv: ServerJSON): string[] {
  const out: string[] = [];
  for (const route of Array.isArray(srv?.routes) ? srv.routes : []) {
    for (const set of Array.isArray(route?.match) ? route.match : []) {
      const host = (set as { host?: unknown } | null)?.host;
      if (Array.isArray(host)) for (const h of host) if (typeof h === 'string') out.push(h);
    }
  }
  return out;
}

/** Caddy's automaticHTTPSPhase1: which servers end up with TLS connection policies. */
function serverHasTls(srv: ServerJSON, hosts: string[], httpPort: number, httpsPort: number): boolean {
  if (Array.isArray(srv.tls_connection_policies) && srv.tls_connection_policies.length > 0) return true;
  const auto = (srv.automatic_https ?? {}) as { disable?: unknown; skip?: unknown };
  if (auto.disable === true) return false;
  let ranges;
  try {
    ranges = parseListen(srv.listen, 'listen');
  } catch {
    return false;
  }
  const otherThan = (port: number) => ranges.some((r) => r.from !== port || r.to !== port);
  if (!otherThan(httpPort)) return false;
  if (srv.tls_connection_policies === undefined && !otherThan(httpsPort)) return true;
  const skip = Array.isArray(auto.skip) ? auto.skip : [];
  return hosts.some((h) => !skip.includes(h));
}

function asciiLower(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host.toLowerCase();
  }
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

/** A request's own series (gatehouse_requests_total and its duration), by final status, counted once per request. */
interface RequestSeries {
  total: Series;
  duration: Series;
}

interface StatusSeries {
  duration: Series;
  ttfb: Series;
  requestSize: Series;
  responseSize: Series;
}

/** Distinct hosts cached per server before the cache starts again (only observe_catchall_hosts makes it grow). */
const MAX_CACHED_HOSTS = 10_000;

/**
 * Caddy (2.11.2+) observes once per matched top-level route, labelled with that route's first handler; a request
 * through two non-terminal top-level routes is observed twice, as there. The outermost matched route's measure is
 * the whole request's, so it alone also feeds gatehouse_requests_total and gatehouse_request_duration_seconds. A route that fails with a handler error
 * counts in request_errors_total with the error's status. The request duration and the response size are observed
 * once the body has been written (Caddy's include writing it), response_duration_seconds at the headers.
 */
export function routeInstrument(server: string, perHost: boolean, hosts?: MetricsHosts): RouteInstrument {
  let cache:
    | {
        rec: MetricsRecorder;
        epoch: number;
        byHost: Map<string, Map<string, RouteSeries>>;
        requests: Map<number, RequestSeries>;
      }
    | undefined;

  const hostLabel = (ctx: RequestContext): string => {
    const host = ctx.originalUrl.host.toLowerCase();
    if (!hosts || hosts.allowed.has(host) || hosts.observeCatchallHosts) return host;
    return hosts.hasHttpsServer && ctx.originalUrl.protocol === 'https:' ? host : OTHER_HOST;
  };

  const routeSeries = (rec: MetricsRecorder, host: string, handler: string): RouteSeries => {
    if (!cache || cache.rec !== rec || cache.epoch !== rec.epoch || cache.byHost.size > MAX_CACHED_HOSTS) {
      cache = { rec, epoch: rec.epoch, byHost: new Map(), requests: new Map() };
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

  /** The request-level series of one final status (routeSeries has just made sure the cache is current). */
  const requestSeries = (rec: MetricsRecorder, status: number): RequestSeries => {
    const byCode = cache!.requests;
    let s = byCode.get(status);
    if (!s) {
      const labels = { server, code: sanitizeCode(status) };
      s = {
        total: rec.series(METRICS.gatehouseRequests, labels),
        duration: rec.series(METRICS.gatehouseRequestDuration, labels),
      };
      byCode.set(status, s);
    }
    return s;
  };
  const countRequest = (rec: MetricsRecorder, status: number, elapsedMs: number): void => {
    const s = requestSeries(rec, status);
    s.total.inc();
    s.duration.observe(elapsedMs / 1000);
  };

  return async (handler, ctx, run) => {
    const rec = metricsRecorder(ctx.env);
    const rs = routeSeries(rec, perHost ? hostLabel(ctx) : '', handler);
    // Top-level routes nest (each runs the next), so the first one to start is the outermost and ends last.
    const outer = ctx.requestMeasured !== true;
    if (outer) ctx.requestMeasured = true;
    const method = ctx.request.method;
    const started = performance.now();
    rs.inFlight.inc(1);
    let res: Response;
    try {
      res = await run();
    } catch (e) {
      rs.inFlight.inc(-1);
      // `abort` is a panic in Caddy (http.ErrAbortHandler): nothing but the in-flight gauge sees it.
      if (e instanceof AbortConnection) throw e;
      rs.total.inc();
      rs.errors.inc();
      // Caddy observes the histograms only for a HandlerError, with its status; nothing was written (0 bytes).
      if (e instanceof HandlerError)
        finish(statusSeries(rec, rs, e.statusCode, method), performance.now() - started, ctx.request, 0);
      // The status the error answers with (Caddy's: 500 for anything but a HandlerError with a status).
      if (outer)
        countRequest(rec, e instanceof HandlerError && e.statusCode ? e.statusCode : 500, performance.now() - started);
      throw e;
    }
    const headersAt = performance.now() - started;
    const obs = statusSeries(rec, rs, res.status, method);
    obs.ttfb.observe(headersAt / 1000);
    const bytes = knownBodySize(res);
    if (bytes !== undefined) {
      // Nothing left to wait for: the runtime writes a body of known length itself.
      rs.inFlight.inc(-1);
      rs.total.inc();
      finish(obs, headersAt, ctx.request, bytes);
      if (outer) countRequest(rec, res.status, headersAt);
      return res;
    }
    // A streamed body of unknown length: counted as it is written, observed when it ends.
    return countBody(res, (written) => {
      rs.inFlight.inc(-1);
      rs.total.inc();
      const elapsed = performance.now() - started;
      finish(obs, elapsed, ctx.request, written);
      if (outer) countRequest(rec, res.status, elapsed);
    });
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

function finish(obs: StatusSeries, elapsedMs: number, request: Request, responseBytes: number): void {
  obs.duration.observe(elapsedMs / 1000);
  obs.requestSize.observe(requestSize(request));
  obs.responseSize.observe(responseBytes);
}

/**
 * The body's size when it is known without reading it: no body, or a Content-Length (what fixed-length upstream
 * bodies and respond bodies that declare it carry). Such bodies are observed at once, without a pass-through.
 */
function knownBodySize(res: Response): number | undefined {
  if (res.body === null) return 0;
  const declared = res.headers.get('Content-Length');
  if (declared !== null) {
    const n = Number(declared);
    if (Number.isInteger(n) && n >= 0) return n;
  }
  return undefined;
}

/** A body being counted: the bytes so far and who waits for its end (nested top-level routes share one count). */
interface CountedBody {
  bytes: number;
  ended: boolean;
  listeners: Array<(bytes: number) => void>;
}

const counted = new WeakMap<ReadableStream, CountedBody>();

/**
 * Passes the body through, counting its bytes, and calls `onEnd` once it is done: written out, failed or cancelled
 * by the client. A body already counted by an inner route's instrument is not wrapped a second time.
 */
function countBody(res: Response, onEnd: (bytes: number) => void): Response {
  const src = res.body!;
  const existing = counted.get(src);
  if (existing) {
    if (existing.ended) onEnd(existing.bytes);
    else existing.listeners.push(onEnd);
    return res;
  }
  const state: CountedBody = { bytes: 0, ended: false, listeners: [onEnd] };
  const end = () => {
    if (state.ended) return;
    state.ended = true;
    for (const l of state.listeners) l(state.bytes);
  };
  const reader = src.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (e) {
          controller.error(e);
          end();
          return;
        }
        if (chunk.done) {
          controller.close();
          end();
          return;
        }
        state.bytes += chunk.value.byteLength ?? 0;
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        end();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  counted.set(body, state);
  return new Response(body, res);
}
