import type { Env, WaitUntil } from '../env.ts';
import { primeRequestHost } from './placeholders/request.ts';
import type { RequestContext } from './types.ts';

export interface RequestContextOptions {
  /** Socket peer address (local dev); at the edge CF-Connecting-IP wins. */
  remoteIp?: string;
  remotePort?: string;
  exec?: WaitUntil;
  /** `request.url` already parsed by the caller (parsing it again costs a runtime call). */
  url?: URL;
  /** The CF-Connecting-IP field already read by the caller (null: absent); each Headers call costs a runtime call. */
  connectingIp?: string | null;
  /** The Host field already read by the caller (null: absent), handed to the host matchers' memo. */
  host?: string | null;
}

/**
 * Builds the per-request state. The client address at the edge is CF-Connecting-IP (Cloudflare's view of the peer);
 * otherwise the socket address given by the caller. `client_ip` starts as that address (Caddy sets it per request;
 * the server's trusted_proxies may overwrite it).
 */
export function createRequestContext(request: Request, env: Env, opts: RequestContextOptions = {}): RequestContext {
  const url = opts.url ?? new URL(request.url);
  const connectingIp = opts.connectingIp !== undefined ? opts.connectingIp : request.headers.get('cf-connecting-ip');
  const remoteIp = connectingIp ?? opts.remoteIp ?? '127.0.0.1';
  if (opts.host !== undefined) primeRequestHost(request, url, opts.host);
  const vars = new Map<string, unknown>();
  // Caddy's two vars of every request; a server with trusted_proxies may change both (http/client-ip.ts).
  vars.set('trusted_proxy', false);
  vars.set('client_ip', remoteIp);
  return {
    request,
    url,
    // Shared until the first rewrite: handlers never change ctx.url in place, they replace it with an edited copy.
    originalUrl: url,
    originalMethod: request.method,
    remoteIp,
    remotePort: opts.remotePort ?? '0',
    vars,
    env,
    startedAt: Date.now(),
    responseHooks: [],
    exec: opts.exec,
    // Present from the start, so setting it keeps every context one shape for the engine.
    requestMeasured: false,
  };
}
