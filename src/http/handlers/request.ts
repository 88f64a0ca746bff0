import type { RequestContext } from '../types.ts';

/**
 * Replaces the request handlers see (rewrite, request header ops, request_body). Method, headers and body carry
 * over unless given; the body stream moves to the new Request, so the old one must not be read afterwards.
 */
export function replaceRequest(
  ctx: RequestContext,
  url: URL,
  init: { method?: string; headers?: Headers; body?: BodyInit | null } = {},
): void {
  const old = ctx.request;
  const method = init.method ?? old.method;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // A body already consumed (reverse_proxy sent it upstream, then failed) cannot move: error routes get none.
  const body = init.body !== undefined ? init.body : old.bodyUsed ? null : old.body;
  ctx.request = new Request(url.toString(), {
    method,
    headers: init.headers ?? old.headers,
    body: hasBody ? body : null,
    redirect: old.redirect,
    signal: old.signal,
    cf: (old as { cf?: unknown }).cf,
    // A streamed body needs it in Node (the CLI's tests and tools); workerd accepts it.
    duplex: 'half',
  } as RequestInit);
  ctx.url = url;
}
