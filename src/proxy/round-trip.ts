import { handlerError } from '../http/handlers/errors.ts';
import type { RequestContext } from '../http/types.ts';
import type { FailureKind, ProxyBody } from './retries.ts';
import { DEFAULT_DIAL_TIMEOUT_MS } from './transport.ts';
import { missingBinding, sendToTarget } from './send-to-target.ts';
import { dialString, type DialTarget } from './upstreams.ts';

/** A failed attempt: its retry class and the status Caddy would answer with (502, or 504 for timeouts). */
export class ProxyError extends Error {
  readonly kind: FailureKind;
  readonly status: number;
  constructor(kind: FailureKind, status: number, message: string) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

export interface Attempt {
  readonly target: DialTarget;
  readonly https: boolean;
  /** Path and query. */
  readonly uri: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: ProxyBody;
  /** response_header_timeout; 0 = none. */
  readonly timeoutMs: number;
  /**
   * dial_timeout for tcp targets (Transport.dialTimeoutMs; absent: Caddy's 3 s default; negative: every dial fails
   * at once). fetch() has no connect phase of its own, so this bounds how long an attempt may go without response
   * headers before a TCP connect probe decides whether it is a dial failure (AttemptWatch).
   */
  readonly dialTimeoutMs?: number;
  /** Whether a failure's retry class matters (retries configured): then a refused connection is told apart. */
  readonly classify: boolean;
  /** The upstream has answered this isolate before, so fetch() may hold a pooled connection to it. */
  readonly answeredBefore?: boolean;
}

/** Methods a second delivery leaves as one would (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The URL the attempt goes to; the default port of the scheme is left out, as Go does. */
export function upstreamUrl(ctx: RequestContext, a: Attempt): string {
  if (a.target.kind !== 'tcp') return `${ctx.originalUrl.protocol}//${ctx.url.host}${a.uri}`;
  const scheme = a.https ? 'https' : 'http';
  const host = a.target.host.includes(':') ? `[${a.target.host}]` : a.target.host;
  const port = (a.https && a.target.port === '443') || (!a.https && a.target.port === '80') ? '' : `:${a.target.port}`;
  return `${scheme}://${host}${port}${a.uri}`;
}

/**
 * One round trip with fetch(). fetch reports a refused connection and a reset the same way (and reads the request
 * body before connecting), so after a failure a bare TCP connect tells them apart: if the upstream cannot even be
 * connected to, the attempt is Caddy's dial error (nothing was delivered; always safe to retry). A tcp attempt that
 * hangs past dial_timeout is told apart the same way (AttemptWatch). Not an async function: a successful attempt,
 * nearly every one, costs the fetch() promise and one reaction, not a suspended frame of its own.
 */
export function roundTrip(ctx: RequestContext, a: Attempt): Promise<Response> {
  const tcp = a.target.kind === 'tcp';
  const dialMs = tcp ? (a.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS) : 0;
  // Go's dialer with a deadline in the past; before the body is touched, since nothing is sent.
  if (dialMs < 0) return Promise.reject(dialTimeout(a.target));

  let body: BodyInit | undefined;
  let bodyFailed: AbortSignal | undefined;
  const sendsBody = a.body.kind !== 'none' && a.method !== 'GET' && a.method !== 'HEAD';
  if (sendsBody && a.body.kind === 'bytes') {
    body = a.body.bytes; // bytes keep a Content-Length; a retry sends them again
    a.headers.delete('content-length');
  } else if (sendsBody && a.body.kind === 'stream') {
    a.body.used = true;
    body = a.body.stream;
    bodyFailed = a.body.failed;
  } else {
    a.headers.delete('content-length');
  }

  // Timer and abort signal only when there is something to time: every tcp attempt (dial timeout) and any attempt
  // with a response header timeout. A fast response costs one setTimeout/clearTimeout pair and an AbortController.
  const watch =
    dialMs > 0 || a.timeoutMs > 0 ? new AttemptWatch(a.target, dialMs, Math.max(a.timeoutMs, 0)) : undefined;
  // A body that can fail aborts the fetch when it does: only an aborted fetch leaves the upstream request unfinished.
  const signal = bodyFailed
    ? watch
      ? AbortSignal.any([watch.controller.signal, bodyFailed])
      : bodyFailed
    : watch?.controller.signal;
  const init: RequestInit = { method: a.method, headers: a.headers, body, redirect: 'manual', signal };
  let sent: Promise<Response>;
  try {
    sent = send(ctx, a, init);
  } catch (e) {
    sent = Promise.reject(e);
  }
  if (!watch) return sent.catch((e: unknown) => attemptFailed(a, e, undefined, bodyFailed));
  return sent.then(
    (res) => {
      watch.done();
      return res;
    },
    (e: unknown) => attemptFailed(a, e, watch, bodyFailed),
  );
}

/** The fetch of one attempt, by the kind of target. */
function send(ctx: RequestContext, a: Attempt, init: RequestInit): Promise<Response> {
  const sent = sendToTarget(a.target, ctx.env, upstreamUrl(ctx, a), init);
  if (!sent) throw new ProxyError('dial', 502, missingBinding(a.target as Exclude<DialTarget, { kind: 'tcp' }>));
  return sent;
}

/**
 * Why an attempt failed, as a ProxyError with Caddy's retry class and status (always rejects). A request body that
 * failed is the client's doing, not the upstream's: its HandlerError (request_body's 413) or a 502, as is.
 */
async function attemptFailed(
  a: Attempt,
  e: unknown,
  watch: AttemptWatch | undefined,
  bodyFailed: AbortSignal | undefined,
): Promise<never> {
  watch?.done();
  if (bodyFailed?.aborted) throw handlerError(502, bodyFailed.reason);
  if (e instanceof ProxyError) throw e;
  if (watch?.verdict === DIAL_TIMEOUT) {
    // A silent handshake proves nothing was sent only if fetch() had no pooled connection to send it over (an
    // overloaded upstream drops new connections first): a non-idempotent request that may have been delivered is
    // a transport failure, retried only as lb_retry_match allows, never resent as a dial failure would be.
    if (a.answeredBefore && !IDEMPOTENT.has(a.method))
      throw new ProxyError('transport', 502, dialTimeout(a.target).message);
    throw dialTimeout(a.target);
  }
  if (watch?.verdict === HEADER_TIMEOUT) throw new ProxyError('transport', 504, 'timeout awaiting response headers');
  const msg = e instanceof Error ? e.message : String(e);
  const dial = a.classify && a.target.kind === 'tcp' && !(await canConnect(a.target.host, Number(a.target.port)));
  throw new ProxyError(dial ? 'dial' : 'transport', 502, msg);
}

function dialTimeout(t: DialTarget): ProxyError {
  return new ProxyError('dial', 502, `dial tcp ${dialString(t)}: i/o timeout`);
}

const DIAL_TIMEOUT = 1;
const HEADER_TIMEOUT = 2;
/** The longest a dial probe may take to connect before the upstream counts as unreachable. */
const PROBE_LIMIT_MS = 1000;

/**
 * The timing of one attempt, with a single timer on the fast path: it fires at the earlier of dial_timeout (tcp
 * targets) and response_header_timeout, and only if no response headers came by then. Then a TCP connect probe
 * (bounded by min(dial_timeout, 1 s)) asks whether the upstream accepts connections at all: if it cannot connect in
 * that time, the attempt is a dial failure (Caddy's `dial tcp …: i/o timeout`, 502, always retryable) and the fetch
 * is aborted; if it connects, the upstream is only slow to answer and the attempt goes on, until
 * response_header_timeout (504) if one is set. A probe the runtime refuses (a refused port locally; at the edge also
 * addresses connect() may not reach, such as Cloudflare's own, which fetch() reaches fine) says nothing, so the
 * attempt goes on too.
 */
class AttemptWatch {
  readonly controller = new AbortController();
  verdict = 0;
  private settled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly target: DialTarget;
  private readonly dialMs: number;
  private readonly headerMs: number;

  constructor(target: DialTarget, dialMs: number, headerMs: number) {
    this.target = target;
    this.dialMs = dialMs;
    this.headerMs = headerMs;
    const first = dialMs > 0 && (headerMs === 0 || dialMs <= headerMs) ? dialMs : headerMs;
    this.timer = setTimeout(() => void this.expire(first), first);
  }

  done(): void {
    this.settled = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private stop(verdict: number): void {
    if (this.settled) return;
    this.verdict = verdict;
    this.settled = true;
    this.controller.abort();
  }

  private async expire(elapsed: number): Promise<void> {
    this.timer = undefined;
    if (this.settled) return;
    const startedAt = Date.now() - elapsed;
    if (this.dialMs > 0 && this.target.kind === 'tcp') {
      const state = await probe(this.target.host, Number(this.target.port), Math.min(this.dialMs, PROBE_LIMIT_MS));
      if (this.settled) return;
      if (state === 'silent') return this.stop(DIAL_TIMEOUT);
    }
    if (this.headerMs > 0) {
      const left = startedAt + this.headerMs - Date.now();
      if (left <= 0) return this.stop(HEADER_TIMEOUT);
      this.timer = setTimeout(() => this.stop(HEADER_TIMEOUT), left);
    }
  }
}

interface SocketsModule {
  connect(address: { hostname: string; port: number }): {
    opened: Promise<unknown>;
    closed?: Promise<unknown>;
    close(): Promise<void>;
  };
}

type ProbeResult = 'open' | 'silent' | 'refused' | 'unknown';

/**
 * A TCP connect probe (cloudflare:sockets, loaded lazily so non-Worker code can import this module): 'open' when the
 * handshake completed within `limitMs`, 'silent' when it did not, 'refused' when connect() failed, 'unknown' when
 * sockets are not available here.
 */
async function probe(hostname: string, port: number, limitMs: number): Promise<ProbeResult> {
  const specifier = 'cloudflare:sockets';
  let sockets: SocketsModule;
  try {
    sockets = (await import(specifier)) as SocketsModule;
  } catch {
    return 'unknown';
  }
  let socket: ReturnType<SocketsModule['connect']>;
  try {
    socket = sockets.connect({ hostname, port });
  } catch {
    return 'refused';
  }
  socket.closed?.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    socket.opened.then(
      (): ProbeResult => 'open',
      (): ProbeResult => 'refused',
    ),
    new Promise<ProbeResult>((r) => (timer = setTimeout(() => r('silent'), limitMs))),
  ]);
  clearTimeout(timer);
  void socket.close().catch(() => {});
  return result;
}

/** After a failed fetch: whether the upstream takes connections (a silent or unavailable probe counts as yes, the safe choice). */
async function canConnect(hostname: string, port: number): Promise<boolean> {
  return (await probe(hostname, port, 1000)) !== 'refused';
}
