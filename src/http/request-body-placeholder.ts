import { replaceRequest } from './handlers/request.ts';
import type { Handler, RequestContext } from './types.ts';

// `{http.request.body}` needs the whole body, but placeholders expand synchronously. So a handler whose own config
// names it (found at compile time) is preceded by one read of the body into ctx.vars; every other handler, and
// every request through one, pays nothing.

export const BODY_PLACEHOLDER = 'http.request.body';

/** Read without a request_body max_size: Caddy reads any size, a Worker's memory cannot. */
export const DEFAULT_BODY_READ_LIMIT = 1 << 20;

/** Whether the handler's own fields (not the routes nested in it, compiled on their own) use the placeholder. */
export function usesBodyPlaceholder(handlerJson: object): boolean {
  const own = JSON.stringify(handlerJson, (key, value: unknown) => (key === 'routes' ? undefined : value));
  return own.includes(`{${BODY_PLACEHOLDER}}`);
}

/** `handler`, after the request body has been read for the placeholder. */
export function withBodyPlaceholder(handler: Handler): Handler {
  return async (ctx, next) => {
    if (!ctx.vars.has(BODY_PLACEHOLDER)) await bufferBody(ctx);
    return handler(ctx, next);
  };
}

/**
 * Caddy's replacer reads the body whole, ignoring a read error such as request_body's limit (so the value is the
 * bytes up to max_size), and puts the bytes read back as the body for the handlers after it.
 */
async function bufferBody(ctx: RequestContext): Promise<void> {
  const body = ctx.request.bodyUsed ? null : ctx.request.body;
  if (!body) {
    ctx.vars.set(BODY_PLACEHOLDER, '');
    return;
  }
  const max = ctx.requestBodyLimit?.maxSize ?? DEFAULT_BODY_READ_LIMIT;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = max - size;
      const chunk = value.byteLength > room ? value.subarray(0, room) : value;
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  } catch {
    // The limit (or the client) ended the body: what was read is the value, as in Caddy.
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  ctx.vars.set(BODY_PLACEHOLDER, new TextDecoder().decode(bytes));
  // The body is now these bytes, whole: no limit can fail it any more, and its old length may not hold.
  const headers = new Headers(ctx.request.headers);
  headers.delete('content-length');
  replaceRequest(ctx, ctx.url, { headers, body: bytes });
  ctx.requestBodyLimit = undefined;
}
