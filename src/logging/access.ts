import { lastAttempt } from '../proxy/placeholders.ts';
import { replaceRequest } from '../http/handlers/request.ts';
import { requestHostport } from '../http/placeholders/request.ts';
import type { HandlerError, RequestContext } from '../http/types.ts';
import { type LogEntry, LogDuration, type LogLevel } from './entry.ts';
import type { Logs } from './logs.ts';
import { type CfProperties, loggableHeaders, loggableRequest } from './loggable.ts';
import type { ServerLogPolicy } from './server-logs.ts';

// The access log of one request, as current Caddy's Server.ServeHTTP writes it: the request as it arrived, then
// bytes_read (2.7+), user_id, duration, size, status and resp_headers; `error` level for 5xx only (2.8+; 2.6 from
// 400). What only the edge knows (colo, country, config version, and for a proxied request the upstream of its last
// attempt and how many attempts it took) follows under `edge`. Nothing here runs for a server without `logs`.

/** Edge facts the Worker entry can add to each entry. */
export interface EdgeFacts {
  configVersion?: number;
}

/** Vars that keep a request out of the access log: `log_skip` (Caddy 2.8+), `skip_log` (Caddy 2.6). */
const SKIP_VARS = ['log_skip', 'skip_log'];
/** Set by `log_name`: the access logger names for this request, instead of the host's. */
const LOGGER_NAMES_VAR = 'access_logger_names';

export class AccessLog {
  private readonly policy: ServerLogPolicy;
  private readonly logs: Logs;

  constructor(policy: ServerLogPolicy, logs: Logs) {
    this.policy = policy;
    this.logs = logs;
  }

  /** The request's log, or undefined when its host is not logged (the request then pays nothing more). */
  begin(ctx: RequestContext, edge: EdgeFacts): RequestLog | undefined {
    const host = requestHostport(ctx);
    if (!this.policy.shouldLog(host)) return undefined;
    return new RequestLog(ctx, host, this.policy, this.logs, edge);
  }
}

export class RequestLog {
  private readonly ctx: RequestContext;
  private readonly host: string;
  private readonly policy: ServerLogPolicy;
  private readonly logs: Logs;
  private readonly configVersion: number | undefined;
  /** Caddy logs the request as it arrived; a rewrite replaces ctx.request, this one stays. */
  private readonly request: Request;
  private requestObject?: Record<string, unknown>;
  private readonly countedBody?: { bytes: number };
  /** The request body's declared length (0 without a body or a length); read once, at the start. */
  private readonly declaredLength: number = 0;
  /** request.cf, read once (each read is a runtime call). */
  private readonly cf: CfProperties | undefined;

  constructor(ctx: RequestContext, host: string, policy: ServerLogPolicy, logs: Logs, edge: EdgeFacts) {
    this.ctx = ctx;
    this.host = host;
    this.policy = policy;
    this.logs = logs;
    this.configVersion = edge.configVersion;
    this.request = ctx.request;
    this.cf = (ctx.request as { cf?: CfProperties }).cf;
    // Only a body without a declared length is streamed through a counter: one with a length keeps it upstream.
    if (ctx.request.body) {
      const length = ctx.request.headers.get('content-length');
      if (length === null) this.countedBody = countBody(ctx);
      else this.declaredLength = Number(length) || 0;
    }
  }

  /**
   * Logs `res` once its size is known: at once when Content-Length says it, else when the body has streamed
   * through a byte counter (the returned response carries that body). Writing happens after the response is
   * returned (waitUntil), never before it.
   */
  finish(res: Response): Response {
    const ctx = this.ctx;
    if (SKIP_VARS.some((v) => ctx.vars.get(v) === true)) return res;
    // One pass over the response fields gives both resp_headers and Content-Length (each Headers call is a runtime call).
    const respHeaders = loggableHeaders(res.headers, this.policy.logCredentials);
    const length = respHeaders['Content-Length']?.[0];
    const body = res.body;
    if (length !== undefined || body === null || res.status === 101) {
      const size = length !== undefined ? Number(length) || 0 : 0;
      const end = Date.now();
      this.later(Promise.resolve().then(() => this.writeAccess(res.status, respHeaders, size, end)));
      return res;
    }
    let size = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const done = () => this.writeAccess(res.status, respHeaders, size, Date.now());
    this.later(body.pipeTo(counter.writable).then(done, done));
    return new Response(counter.readable, res);
  }

  /** Caddy's error log for a handler error (`http.log.error`); `handled`: the server's error routes answered. */
  logError(err: HandlerError, handled: boolean, secondError?: unknown): void {
    const durationMs = Date.now() - this.ctx.startedAt;
    const fieldsOf = () => ({ status: err.statusCode, err_id: err.id, err_trace: err.trace });
    let level: LogLevel;
    let msg = err.message;
    let fields: Record<string, unknown>;
    if (secondError !== undefined) {
      level = 'error';
      fields = {
        error: secondError instanceof Error ? secondError.message : String(secondError),
        first_error: { msg, ...fieldsOf() },
      };
      msg = 'error handling handler error';
    } else {
      level = !handled && err.statusCode >= 500 ? 'error' : 'debug';
      fields = fieldsOf();
    }
    const time = Date.now();
    for (const name of this.loggerNames()) {
      const logger = name ? `http.log.error.${name}` : 'http.log.error';
      this.logs.emit({
        level,
        time,
        logger,
        msg,
        fields: { request: this.loggableRequest(), duration: new LogDuration(durationMs), ...fields },
      });
    }
  }

  private writeAccess(status: number, respHeaders: Record<string, string[]>, size: number, end: number): void {
    const ctx = this.ctx;
    const level: LogLevel = status >= 500 ? 'error' : 'info';
    const fields: Record<string, unknown> = {
      request: this.loggableRequest(),
      bytes_read: this.bytesRead(),
      user_id: stringVar(ctx.vars.get('http.auth.user.id')),
      duration: new LogDuration(end - ctx.startedAt),
      size,
      status,
      resp_headers: respHeaders,
    };
    if (ctx.logFields) for (const [k, v] of ctx.logFields) fields[k] = v;
    const edge = this.edgeFields();
    if (edge) fields.edge = edge;
    for (const name of this.loggerNames()) {
      const entry: LogEntry = {
        level,
        time: end,
        logger: name ? `http.log.access.${name}` : 'http.log.access',
        msg: 'handled request',
        fields,
      };
      this.logs.emit(entry);
    }
  }

  /**
   * The request body bytes the handlers read: its declared length once its stream was taken (the proxy reads what
   * it sends), else 0, as for Caddy's body never read. A body of unknown length is counted as it streams.
   */
  private bytesRead(): number {
    if (this.countedBody) return this.countedBody.bytes;
    const body = this.request.body;
    if (!body || !(this.request.bodyUsed || body.locked)) return 0;
    return this.declaredLength;
  }

  private loggerNames(): readonly string[] {
    const override = this.ctx.vars.get(LOGGER_NAMES_VAR);
    if (Array.isArray(override)) return override.filter((n): n is string => typeof n === 'string');
    return this.policy.loggerNames(this.host);
  }

  private loggableRequest(): Record<string, unknown> {
    return (this.requestObject ??= loggableRequest(
      this.request,
      this.cf,
      this.ctx,
      this.host,
      this.policy.logCredentials,
    ));
  }

  private edgeFields(): Record<string, unknown> | undefined {
    const cf = this.cf;
    const out: Record<string, unknown> = {};
    if (cf) {
      if (typeof cf.colo === 'string') out.colo = cf.colo;
      if (typeof cf.country === 'string') out.country = cf.country;
    }
    if (this.configVersion !== undefined) out.config_version = this.configVersion;
    const attempt = lastAttempt(this.ctx);
    if (attempt) {
      out.upstream = attempt.upstream;
      out.attempts = attempt.attempts;
    }
    return Object.keys(out).length ? out : undefined;
  }

  private later(p: Promise<unknown>): void {
    const logged = p.catch((e: unknown) => console.error(`gatehouse: access log: ${(e as Error)?.message ?? e}`));
    this.ctx.exec?.waitUntil(logged);
  }
}

function stringVar(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Puts the request body through a byte counter; the count is what the handlers read of it. */
function countBody(ctx: RequestContext): { bytes: number } {
  const counted = { bytes: 0 };
  const body = ctx.request.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        counted.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
  replaceRequest(ctx, ctx.url, { body });
  return counted;
}
