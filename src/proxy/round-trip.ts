import type { RequestContext } from '../http/types.ts';
import type { FailureKind, ProxyBody } from './retries.ts';
import type { DialTarget } from './upstreams.ts';

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
  readonly timeoutMs: number;
  /** Whether a failure's retry class matters (retries configured): then a refused connection is told apart. */
  readonly classify: boolean;
}

interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

function isFetcher(v: unknown): v is Fetcher {
  return typeof v === 'object' && v !== null && typeof (v as { fetch?: unknown }).fetch === 'function';
}

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
 * connected to, the attempt is Caddy's dial error (nothing was delivered; always safe to retry).
 */
export async function roundTrip(ctx: RequestContext, a: Attempt): Promise<Response> {
  let body: BodyInit | undefined;
  const sendsBody = a.body.kind !== 'none' && a.method !== 'GET' && a.method !== 'HEAD';
  if (sendsBody && a.body.kind === 'bytes') {
    body = a.body.bytes; // bytes keep a Content-Length; a retry sends them again
    a.headers.delete('content-length');
  } else if (sendsBody && a.body.kind === 'stream') {
    a.body.used = true;
    body = a.body.stream;
  } else {
    a.headers.delete('content-length');
  }

  // A timer and an abort signal only when a response header timeout is configured.
  const controller = a.timeoutMs > 0 ? new AbortController() : undefined;
  let timedOut = false;
  const timer = controller ? setTimeout(() => ((timedOut = true), controller.abort()), a.timeoutMs) : undefined;
  const init: RequestInit = { method: a.method, headers: a.headers, body, redirect: 'manual', signal: controller?.signal };
  try {
    if (a.target.kind === 'service') {
      const binding = ctx.env[a.target.name];
      if (!isFetcher(binding)) throw new ProxyError('dial', 502, `service binding ${a.target.name} not found`);
      return await binding.fetch(new Request(upstreamUrl(ctx, a), init));
    }
    if (a.target.kind === 'durable') {
      const ns = ctx.env[a.target.binding] as Partial<DurableObjectNamespace> | undefined;
      if (!ns || typeof ns.idFromName !== 'function' || typeof ns.get !== 'function') {
        throw new ProxyError('dial', 502, `Durable Object binding ${a.target.binding} not found`);
      }
      return await ns.get(ns.idFromName(a.target.name)).fetch(new Request(upstreamUrl(ctx, a), init));
    }
    return await fetch(upstreamUrl(ctx, a), init);
  } catch (e) {
    if (e instanceof ProxyError) throw e;
    if (timedOut) throw new ProxyError('transport', 504, 'timeout awaiting response headers');
    const msg = e instanceof Error ? e.message : String(e);
    const dial = a.classify && a.target.kind === 'tcp' && !(await canConnect(a.target.host, Number(a.target.port)));
    throw new ProxyError(dial ? 'dial' : 'transport', 502, msg);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

interface SocketsModule {
  connect(address: { hostname: string; port: number }): { opened: Promise<unknown>; close(): Promise<void> };
}

/** A TCP connect probe (cloudflare:sockets, loaded lazily so non-Worker code can import this module). */
async function canConnect(hostname: string, port: number): Promise<boolean> {
  const specifier = 'cloudflare:sockets';
  let sockets: SocketsModule;
  try {
    sockets = (await import(specifier)) as SocketsModule;
  } catch {
    return true; // cannot tell: treat as delivered, the safe choice
  }
  try {
    const socket = sockets.connect({ hostname, port });
    const opened = await Promise.race([socket.opened.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(true), 1000))]);
    void socket.close().catch(() => {});
    return opened;
  } catch {
    return false;
  }
}
