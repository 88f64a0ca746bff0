import { createRequestContext, type RequestContextOptions } from '../../src/http/context.ts';
import type { RequestContext } from '../../src/http/types.ts';

/** A RequestContext for tests: `ctxFor('http://example.com/a?b=1', { headers })` or from a Request. */
export function ctxFor(
  input: string | Request,
  init: RequestInit & { env?: Record<string, unknown> } & RequestContextOptions = {},
): RequestContext {
  const { env = {}, remoteIp = '203.0.113.7', remotePort = '54321', exec, ...reqInit } = init;
  const request = typeof input === 'string' ? new Request(input, reqInit) : input;
  return createRequestContext(request, env, { remoteIp, remotePort, exec });
}

/** Replaces the current request URL as a rewrite would (originalUrl stays). */
export function rewriteTo(ctx: RequestContext, url: string): void {
  ctx.request = new Request(url, ctx.request);
  ctx.url = new URL(url);
}
