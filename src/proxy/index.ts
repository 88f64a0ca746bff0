import { ConfigError } from '../config/errors.ts';
import type { FieldMap } from '../http/field-map.ts';
import { responseHeaderMap, takeResponseHeaderMap } from '../http/handlers/response.ts';
import { HandlerError, type Handler, type RequestContext, type Template } from '../http/types.ts';
import { settleWithin } from '../util/settle-within.ts';
import { firstRoundWaitMs, maybeRunActiveChecks, compileActiveHealth } from './active-health.ts';
import { compileHandleResponse, setIntercepted, type InterceptedResponse } from './handle-response.ts';
import { errorId } from '../http/handlers/errors.ts';
import { compileHeaderOps } from '../http/handlers/header-ops.ts';
import { cleanResponseHeaders, isTrusted, prepareRequestHeaders } from './headers.ts';
import { requestHostport } from '../http/placeholders/request.ts';
import { parseRange } from './ip.ts';
import {
  compilePassiveHealth,
  countFailure,
  currentFails,
  responseStrikes,
  type PassiveHealth,
} from './passive-health.ts';
import { proxyResults } from './placeholders.ts';
import { compileResponseMatcher } from '../http/handlers/response-matcher.ts';
import { checkFields } from '../http/handlers/util.ts';
import { bufferBody, compileLoadBalancing, tryAgain, type ProxyBody } from './retries.ts';
import { recordUpstreamError, recordUpstreamResponse } from './metrics.ts';
import { ProxyError, roundTrip } from './round-trip.ts';
import { applySnapshot, type SharedPool } from './shared-pool.ts';
import type { PoolSnapshot } from './pool-protocol.ts';
import { REVERSE_PROXY_FIELDS } from './json.ts';
import { compileTransport } from './transport.ts';
import type { ProxyDeps, SelectionEffects, SelectRequest } from './types.ts';
import { compileUpstreams, DialError, dialString, type ProxyUpstream } from './upstreams.ts';
import { isDigits } from '../util/digits.ts';

export type { ProxyDeps } from './types.ts';
export { compileCopyResponse, compileCopyResponseHeaders } from './handle-response.ts';

/** Without request_buffers, a body up to this size is kept so a retry can resend it; a longer one is sent once. */
const DEFAULT_REPLAY_LIMIT = 1 << 20;

/** An upstream that answered within this long is taken to be reached over a pooled connection (no dial watch). */
const RECENT_ANSWER_MS = 1000;

function record(v: unknown, what: string, path: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${what} must be an object`, path);
  return v as Record<string, unknown>;
}

const noSharedPool = (): SharedPool | undefined => undefined;

/** Compiles Caddy's `reverse_proxy` handler JSON into a Handler that proxies with fetch(). */
export function compileReverseProxy(json: Record<string, unknown>, deps: ProxyDeps): Handler {
  const path = deps.path ?? 'reverse_proxy';
  for (const k of Object.keys(json)) {
    if (k === 'dynamic_upstreams' || k === 'circuit_breaker')
      throw new ConfigError(`reverse_proxy: ${k} is not supported at the edge`, path);
  }
  checkFields(json, REVERSE_PROXY_FIELDS, path, 'reverse_proxy');
  const keep = (s: string): Template => deps.compileTemplate(s, 'keep');
  const empty = (s: string): Template => deps.compileTemplate(s, 'empty');

  const hc = record(json.health_checks, 'health_checks', path);
  checkFields(hc, ['active', 'passive'], path, 'health_checks');
  const passive = compilePassiveHealth(hc.passive, `${path}.health_checks.passive`);
  const upstreams = compileUpstreams(json.upstreams, path, passive, empty);
  if (upstreams.length === 0) throw new ConfigError('reverse_proxy: no upstreams configured', path);
  const lb = compileLoadBalancing(json.load_balancing, deps, `${path}.load_balancing`);
  const transport = compileTransport(json.transport, `${path}.transport`);
  const active = compileActiveHealth(hc.active, `${path}.health_checks.active`, upstreams, transport.tls, keep);
  const trustedRanges = (
    Array.isArray(json.trusted_proxies) ? json.trusted_proxies : json.trusted_proxies === undefined ? [] : null
  )?.map((r: unknown) => {
    if (typeof r !== 'string') throw new ConfigError('trusted_proxies must be a list of strings', path);
    return parseRange(r, path);
  });
  if (!trustedRanges) throw new ConfigError('trusted_proxies must be a list of strings', path);

  const hdrs = record(json.headers, 'headers', path);
  checkFields(hdrs, ['request', 'response'], path, 'headers');
  // Caddy's reverse_proxy applies the same HeaderOps as the headers handler (ReplaceKnown names and values).
  const headerUp = compileHeaderOps(hdrs.request, `${path}.headers.request`, [], 'upstream');
  const headerDown = compileHeaderOps(hdrs.response, `${path}.headers.response`, ['require', 'deferred']);
  const downRequire = compileResponseMatcher(
    record(hdrs.response, 'headers.response', path).require,
    `${path}.headers.response.require`,
  );

  const rw = record(json.rewrite, 'rewrite', path);
  checkFields(rw, ['method', 'uri'], path, 'rewrite');
  const rwMethod = typeof rw.method === 'string' && rw.method ? empty(rw.method) : undefined;
  const rwUri = typeof rw.uri === 'string' && rw.uri ? empty(rw.uri) : undefined;

  const handleResponse = compileHandleResponse(json.handle_response, deps, path);
  const requestBuffers = typeof json.request_buffers === 'number' ? json.request_buffers : 0;
  const retrying = lb.retries > 0 || lb.tryDurationMs > 0;
  const replayLimit = requestBuffers > 0 ? requestBuffers : requestBuffers < 0 ? Infinity : DEFAULT_REPLAY_LIMIT;
  // A policy that reads in-flight counts, through any of its fallbacks, needs the count held until the body is streamed.
  const holdCountThroughBody = lb.policyTraits.countsLoad || upstreams.some((u) => u.maxRequests > 0);
  // With the UPSTREAM_POOL binding, health lives in a Durable Object shared by all isolates (shared-pool.ts).
  const sharedPoolFor = deps.pools?.user(upstreams, active, passive, holdCountThroughBody) ?? noSharedPool;
  /** The snapshot last applied to the upstreams (a fresh cache hands out the same object: nothing to redo). */
  let applied: PoolSnapshot | undefined;
  // Caddy starts active health checks when the config loads, not at the first request: so does the shared pool.
  if (active) deps.onActivate?.((env, exec) => sharedPoolFor(env)?.activate(exec));

  /**
   * Caddy's finalizeResponse: upstream fields (hop-by-hop removed, header_down applied) added to what earlier handlers
   * set. The upstream's status comes as read by the caller, and whether the client asked with HEAD.
   */
  const finalize = (
    ctx: RequestContext,
    res: Response,
    status: number,
    release: () => void,
    upstreamStatus: number,
    head: boolean,
  ): Response => {
    if (status === 101) {
      release();
      const webSocket = (res as Response & { webSocket?: unknown }).webSocket;
      const response = new Response(null, { status: 101, headers: res.headers, webSocket } as ResponseInit);
      writeResponseFields(ctx, response.headers, status);
      return response;
    }
    // Each getter of a Response crosses into the runtime: read each once.
    const body = res.body;
    const noBody = head || status === 204 || status === 205 || status === 304 || body === null;
    // Count the request as in flight until the body has been streamed to the client.
    const pipe = !noBody && holdCountThroughBody ? new TransformStream<Uint8Array, Uint8Array>() : undefined;
    const outStatus = status >= 200 && status <= 599 ? status : 502;
    // One copy of the upstream's fields, edited in place. Given the upstream Response itself as init, workerd copies
    // status, reason and fields natively, far cheaper than an init dictionary, which only a changed status needs.
    const outBody = noBody ? null : pipe ? pipe.readable : body;
    const response =
      outStatus === upstreamStatus
        ? new Response(outBody, res)
        : new Response(outBody, { status: outStatus, statusText: '', headers: res.headers });
    try {
      writeResponseFields(ctx, response.headers, status);
    } catch (e) {
      void body?.cancel();
      release();
      throw e;
    }
    if (noBody) {
      void body?.cancel();
      release();
    } else if (pipe) {
      const done = body!
        .pipeTo(pipe.writable)
        .catch(() => {})
        .finally(release);
      ctx.exec?.waitUntil(done);
    } else release();
    return response;
  };

  /** The response's fields: the upstream's cleaned and edited by header_down, after those earlier handlers wrote. */
  const writeResponseFields = (ctx: RequestContext, out: Headers, status: number): void => {
    cleanResponseHeaders(out, status);
    if (headerDown && (!downRequire || downRequire(status, out, ctx))) headerDown(out, ctx);
    // Fields earlier handlers set come first, then the proxy's Via, then the upstream's (Caddy copies the upstream's
    // header onto the response writer's, which has lost its Server field). Only the few earlier names are touched.
    const base = takeResponseHeaderMap(ctx);
    base.delete('server');
    base.append('via', '1.1 Caddy');
    putBefore(base, out);
  };

  const handler: Handler = async (ctx, next) => {
    const start = Date.now();
    // Getters of a Request or Response are runtime calls: each is read once.
    const clientMethod = ctx.request.method;
    const shared = sharedPoolFor(ctx.env);
    if (shared) {
      const snap = shared.snapshotNow(ctx) ?? (await shared.snapshot(ctx));
      if (snap !== applied) {
        applied = snap;
        applySnapshot(upstreams, snap, passive, shared.sharesLoad ? shared.reported : undefined);
      }
    }
    if (active && !shared?.runsActiveChecks) {
      const first = maybeRunActiveChecks(active, ctx);
      if (first) await settleWithin(first, firstRoundWaitMs(active), () => {});
    }
    const method = rwMethod?.(ctx).toUpperCase() || clientMethod;
    const uri = rwUri ? rewriteUri(ctx, rwUri(ctx)) : ctx.url.pathname + ctx.url.search;
    const trusted = isTrusted(ctx, trustedRanges);
    const prepared = prepareRequestHeaders(ctx, trusted);
    const host = requestHostport(ctx);
    const sendBody = method !== 'GET' && method !== 'HEAD';
    let body: ProxyBody = { kind: 'none' };
    if (sendBody && ctx.request.body) {
      const limit = ctx.requestBodyLimit;
      if (limit) refuseDeclaredOversize(ctx, limit.maxSize);
      body =
        retrying || requestBuffers !== 0
          ? await bufferBody(ctx.request.body, replayLimit)
          : { kind: 'stream', stream: ctx.request.body, used: false, failed: limit?.failed.signal };
    }
    const selReq = new UpstreamRequest(ctx, uri, prepared, host);

    const results = proxyResults(ctx);
    const effects: SelectionEffects = { setCookies: [] };
    let retries = 0;
    let lastErr: ProxyError | undefined;
    for (;;) {
      // Most policies choose synchronously: await only a promise (the cookie policy's HMAC), not every choice.
      const picked = lb.policy(upstreams, selReq, effects);
      const up = (picked instanceof Promise ? await picked : picked) as ProxyUpstream | null;
      if (effects.setCookies.length > 0) {
        for (const c of effects.setCookies) responseHeaderMap(ctx).append('set-cookie', c);
        effects.setCookies.length = 0;
      }
      if (!up) {
        lastErr ??= new ProxyError('no-upstream', 503, 'no upstreams available');
        if (await tryAgain(lb, start, retries, 'no-upstream', ctx, method)) {
          retries++;
          continue;
        }
        break;
      }
      let target;
      try {
        target = up.resolve(ctx);
      } catch (e) {
        throw new HandlerError(e instanceof DialError ? 502 : 500, (e as Error).message);
      }
      const hostport = dialString(target);
      const t0 = Date.now();
      results.upstream = {
        hostport,
        host: target.kind === 'tcp' ? target.host : target.kind === 'service' ? target.name : target.binding,
        port: target.kind === 'tcp' ? target.port : '',
        requests: up.host.numRequests,
        maxRequests: up.maxRequests,
        fails: currentFails(up.host, t0),
      };
      results.retries = retries;
      const https = transport.tls && !(target.kind === 'tcp' && transport.tlsExceptPorts.includes(target.port));
      // A copy per attempt only when this attempt changes the fields (retries reuse `prepared`).
      const headers = https || headerUp ? new Headers(prepared) : prepared;
      if (https) headers.set('host', hostport);
      let badField: unknown;
      try {
        headerUp?.(headers, ctx);
      } catch (e) {
        badField = e;
      }
      if (body.kind === 'stream' && body.used) break; // a streamed body cannot be sent twice

      up.host.numRequests++;
      // Caddy dials, and times the dial, only for a new connection: an attempt on a pooled one has no dial timeout.
      // fetch() pools connections out of sight, so an upstream that answered this isolate within the last second is
      // taken to be reached over a pooled connection and its attempt gets no dial watch (a timer and an abort signal,
      // a cost on every request); others get one. A negative dial_timeout (fail every dial) always applies.
      const dialTimeoutMs =
        transport.dialTimeoutMs > 0 && t0 - up.host.lastAnswerAt < RECENT_ANSWER_MS ? 0 : transport.dialTimeoutMs;
      let res: Response;
      try {
        // Go's transport refuses a field it cannot write: a transport error, like one from the wire.
        if (badField !== undefined) throw new ProxyError('transport', 502, String(badField));
        res = await roundTrip(ctx, {
          target,
          https,
          uri,
          method,
          headers,
          body,
          timeoutMs: transport.responseHeaderTimeoutMs,
          dialTimeoutMs,
          classify: retrying,
          answeredBefore: up.host.lastAnswerAt > 0,
        });
      } catch (e) {
        up.host.numRequests--;
        if (e instanceof HandlerError) throw e; // the request body failed: no upstream is to blame, none is retried
        recordUpstreamError(ctx.env, up.dial);
        const err = e instanceof ProxyError ? e : new ProxyError('transport', 502, String(e));
        failed(up, passive, shared, ctx);
        lastErr = err;
        if (body.kind === 'stream' && body.used && err.kind !== 'dial') break;
        if (await tryAgain(lb, start, retries, err.kind, ctx, method)) {
          retries++;
          continue;
        }
        break;
      }
      const answeredAt = Date.now();
      up.host.lastAnswerAt = answeredAt;
      const latency = answeredAt - t0;
      const resStatus = res.status;
      recordUpstreamResponse(ctx.env, up.dial, resStatus, latency);
      for (let n = responseStrikes(passive, resStatus, latency); n > 0; n--) failed(up, passive, shared, ctx);
      results.latencyMs = latency;
      results.status = resStatus;
      results.response = res;
      results.durationMs = answeredAt - start; // Date.now() moves only between I/O in a Worker: no second read

      let released = false;
      const release = (): void => {
        if (!released) {
          released = true;
          up.host.numRequests--;
        }
      };
      let status = resStatus;
      for (const rh of handleResponse) {
        if (rh.match && !rh.match(resStatus, res.headers, ctx)) continue;
        if (rh.statusCode) {
          const s = rh.statusCode(ctx);
          if (!isDigits(s)) {
            release();
            throw new HandlerError(500, `invalid status code ${JSON.stringify(s)}`);
          }
          if (Number(s) !== 0) status = Number(s);
          break;
        }
        if (!rh.routes) continue;
        const state: InterceptedResponse = {
          response: res,
          finalized: false,
          finalize: (override) =>
            finalize(ctx, res, override ?? resStatus, release, resStatus, ctx.request.method === 'HEAD'),
        };
        setIntercepted(ctx, state);
        try {
          return await rh.routes(ctx, next);
        } finally {
          setIntercepted(ctx, undefined);
          if (!state.finalized) {
            void res.body?.cancel();
            release();
          }
        }
      }
      return finalize(ctx, res, status, release, resStatus, clientMethod === 'HEAD');
    }
    results.durationMs = Date.now() - start;
    const err = lastErr ?? new ProxyError('transport', 502, 'request body could not be replayed');
    throw new HandlerError(err.status, err.message);
  };
  return handler;
}

/**
 * A body declared longer than request_body's max_size. Caddy's MaxBytesReader does not look at Content-Length: the
 * proxied request starts and fails once past the limit, which Go's transport reports as a write error, so the
 * client gets 502. The same answer comes here before any upstream is called, so none sees part of the body.
 */
function refuseDeclaredOversize(ctx: RequestContext, maxSize: number): void {
  const declared = ctx.request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxSize)
    throw new HandlerError(502, 'http: request body too large', errorId());
}

/** Counts a failed attempt against the upstream: here, and at the shared pool when failures are remembered. */
function failed(
  up: ProxyUpstream,
  passive: PassiveHealth | undefined,
  shared: SharedPool | undefined,
  ctx: RequestContext,
): void {
  countFailure(up.host, passive);
  if (shared && passive && passive.failDurationMs > 0) shared.reportFailure(up.dial, ctx);
}

/**
 * The upstream request as the selection policies see it. A class, so that the lazily parsed query is a getter of
 * the prototype instead of a closure and an accessor made for every request.
 */
class UpstreamRequest implements SelectRequest {
  readonly ctx: RequestContext;
  readonly uri: string;
  readonly headers: Headers;
  readonly host: string;
  private parsedQuery: URLSearchParams | undefined;

  constructor(ctx: RequestContext, uri: string, headers: Headers, host: string) {
    this.ctx = ctx;
    this.uri = uri;
    this.headers = headers;
    this.host = host;
  }

  /** Only the `query` policy reads it. */
  get query(): URLSearchParams {
    if (!this.parsedQuery) {
      const q = this.uri.indexOf('?');
      this.parsedQuery = new URLSearchParams(q >= 0 ? this.uri.slice(q + 1) : '');
    }
    return this.parsedQuery;
  }
}

/** The proxy's own `rewrite.uri`: a path part replaces the path, a `?query` part replaces the query. */
function rewriteUri(ctx: RequestContext, uri: string): string {
  const q = uri.indexOf('?');
  const path = q >= 0 ? uri.slice(0, q) : uri;
  const query = q >= 0 ? uri.slice(q + 1) : undefined;
  const newPath = path === '' ? ctx.url.pathname : path.startsWith('/') ? path : `/${path}`;
  const newQuery = query === undefined ? ctx.url.search : query === '' ? '' : `?${query}`;
  return newPath + newQuery;
}

/** Puts `base`'s fields into `out` ahead of the values `out` already has for the same names. */
function putBefore(base: FieldMap, out: Headers): void {
  for (const [name, values] of base.entries()) {
    if (name === 'set-cookie') {
      const later = out.getSetCookie();
      out.delete(name);
      for (const c of values) out.append(name, c);
      for (const c of later) out.append(name, c);
      continue;
    }
    // has() is cheaper than get(), and the upstream rarely sends the names earlier handlers wrote.
    const later = out.has(name) ? out.get(name) : null;
    out.set(name, values.length === 1 ? values[0] : values.join(', '));
    if (later !== null) out.append(name, later);
  }
}
