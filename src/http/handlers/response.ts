import { FieldMap } from '../field-map.ts';
import type { RequestContext } from '../types.ts';

/**
 * Go handlers write response headers into the ResponseWriter's header map before any response exists; the handler
 * that finally responds adds its own on top. Gatehouse keeps that map per request in ctx.responseFields (the "base"
 * fields): non-deferred `header` ops and `respond`'s headers go into it, and finalizeResponse merges it under the
 * response. Deferred ops (ctx.responseHooks) run after the merge, innermost first, like Caddy's nested header
 * wrappers.
 */
export function responseHeaderMap(ctx: RequestContext): FieldMap {
  return (ctx.responseFields ??= new FieldMap());
}

/** Hands the base map to the responder that writes it (static_response), so it is not merged a second time. */
export function takeResponseHeaderMap(ctx: RequestContext): FieldMap {
  const h = responseHeaderMap(ctx);
  ctx.responseFields = undefined;
  return h;
}

/** A Response whose headers can be changed (fetch() responses have immutable headers). */
export function mutable(res: Response): Response {
  if (res.status === 101) {
    // Workers-only: a 101 carries its WebSocket, which the copy must keep.
    const ws = (res as { webSocket?: unknown }).webSocket;
    return new Response(null, {
      status: 101,
      statusText: res.statusText,
      headers: res.headers,
      webSocket: ws,
    } as ResponseInit);
  }
  // The Response constructor copies the headers itself: no Headers copy of our own.
  return new Response(res.body, res);
}

/** A response with no body: Caddy writes just the status (empty 200 when nothing handled the request). */
export function emptyResponse(status: number): Response {
  // A Response cannot carry a status outside 200–599 (101 needs a WebSocket); such errors become 500.
  return new Response(null, { status: status >= 200 && status <= 599 ? status : 500 });
}

/** Applies the base header map and the deferred header hooks to the response about to be sent. */
export function finalizeResponse(ctx: RequestContext, res: Response): Response {
  return settleResponse(ctx, res, 0);
}

/**
 * The headers of `res` as a Go handler wrapping the chain at hook index `fromHook` would see them at WriteHeader:
 * the base map merged in (then emptied) and the deferred hooks registered from `fromHook` on applied (then
 * removed). Handlers that inspect the response (encode) call this with ctx.responseHooks.length taken on entry.
 */
export function settleResponse(ctx: RequestContext, res: Response, fromHook: number): Response {
  const base = ctx.responseFields;
  const hooks = ctx.responseHooks;
  const hasBase = base !== undefined && base.size > 0;
  if (hooks.length <= fromHook && !hasBase) return res;
  let out = mutable(res);
  if (base && hasBase) {
    // Base values are written first in Go; the responder's own fields replace them (Set-Cookie accumulates).
    const headers = out.headers;
    for (const [name, values] of base.entries()) {
      if (name === 'set-cookie') for (const cookie of values) headers.append(name, cookie);
      else if (!headers.has(name)) headers.set(name, values.join(', '));
    }
    ctx.responseFields = undefined;
  }
  for (let i = hooks.length - 1; i >= fromHook; i--) out = hooks[i](out);
  hooks.length = Math.min(hooks.length, fromHook);
  return out;
}

/**
 * When a handler fails, Caddy runs the error routes on the server's own ResponseWriter: the header map written so
 * far survives, but the deferred wrappers installed further down the failed chain are gone.
 */
export function dropDeferredHooks(ctx: RequestContext): void {
  ctx.responseHooks.length = 0;
}
