import type { Env, WaitUntil } from '../env.ts';
import type { RequestBodyLimit } from './body-limit.ts';
import type { FieldMap } from './field-map.ts';

// The runtime's core types: what a compiled route tree is made of. Caddy's model (modules/caddyhttp) is a list of
// routes, each a matcher-set list (OR) of matcher sets (AND), and a handler chain where each handler calls `next`.

/** Everything one request carries through the route tree (Caddy keeps this in the request context). */
export interface RequestContext {
  /** The request as handlers see it now; rewrite replaces it. */
  request: Request;
  /** Parsed URL of `request` (kept in sync by whoever replaces `request`). Never edited in place: replaced by a copy. */
  url: URL;
  /** The request as it arrived, before any rewrite ({http.request.orig_uri}). */
  readonly originalUrl: URL;
  /** Its method, before any rewrite (read once: each getter of a Request is a runtime call). */
  readonly originalMethod: string;
  /** Client address and port: CF-Connecting-IP at the edge, the socket locally. */
  remoteIp: string;
  remotePort: string;
  /** `vars` handler values, matcher captures ({re.*}/{http.regexp.*}), auth user, error info … */
  readonly vars: Map<string, unknown>;
  /** Worker env, for {env.*}. */
  readonly env: Env;
  /** Start time of the request (ms since epoch), for {time.*} and durations. */
  readonly startedAt: number;
  /** Response headers queued by deferred `header` ops and by handlers that run before the response exists. */
  readonly responseHooks: Array<(response: Response) => Response>;
  /** Header fields written before the response exists (Go's ResponseWriter map); see handlers/response.ts. */
  responseFields?: FieldMap;
  /** Route groups that already had a route run for this request (shared by every route list). */
  groupsRun?: Set<string>;
  /** Set once the outermost matched top-level route is measured: nested ones are not counted as requests again. */
  requestMeasured?: boolean;
  /** Set while handle_errors routes run: {err.status_code}, {err.message} … */
  error?: HandlerError;
  /** Set by `request_body max_size`: the limit, and the signal a fetch sending the body must take (body-limit.ts). */
  requestBodyLimit?: RequestBodyLimit;
  /** Fields `log_append` adds to this request's access log entry, in order. */
  logFields?: Array<[string, unknown]>;
  /** Worker ExecutionContext (waitUntil), absent in some tests. */
  readonly exec?: WaitUntil;
}

/** Caddy's caddyhttp.HandlerError: a status, an optional message and an id for logs. */
export class HandlerError extends Error {
  readonly statusCode: number;
  readonly id: string;
  readonly trace: string;
  constructor(statusCode: number, message = '', id = '', trace = '') {
    super(message);
    this.statusCode = statusCode;
    this.id = id;
    this.trace = trace;
  }
}

/** A compiled request matcher (one module of a matcher set). */
export type Matcher = (ctx: RequestContext) => boolean;

/** The rest of the chain after a handler. */
export type Next = (ctx: RequestContext) => Promise<Response>;

/** A compiled middleware handler: returns a response, calling `next` to continue down the chain. */
export type Handler = (ctx: RequestContext, next: Next) => Promise<Response>;

/** A compiled placeholder template: cheap to evaluate, no parsing per request. */
export type Template = (ctx: RequestContext) => string;
