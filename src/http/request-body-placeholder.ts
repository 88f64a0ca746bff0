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
 * bytes up to max_size). The value here is also bounded by DEFAULT_BODY_READ_LIMIT; either way the handlers after
 * it get the body as the client sent it: the bytes read, then the rest of the stream with its limit error, so a
 * body over a limit is never passed on as a shorter complete one.
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
  let ended = false;
  let failure: unknown;
  const reader = body.getReader();
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (err) {
    failure = err;
  }
  const bytes = concat(chunks, size);
  ctx.vars.set(BODY_PLACEHOLDER, new TextDecoder().decode(size > max ? bytes.subarray(0, max) : bytes));
  const headers = new Headers(ctx.request.headers);
  headers.delete('content-length');
  if (ended) {
    // The body is now these bytes, whole: no limit can fail it any more, and its old length may not hold.
    replaceRequest(ctx, ctx.url, { headers, body: bytes });
    ctx.requestBodyLimit = undefined;
    return;
  }
  // Not read to its end: the handlers after this one read the same bytes and then the rest, or its failure.
  replaceRequest(ctx, ctx.url, { headers, body: resumeBody(bytes, reader, failure) });
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/** `head`, then what is left of `reader`'s stream (or the error that ended its read). */
function resumeBody(
  head: Uint8Array,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  failure: unknown,
): ReadableStream<Uint8Array> {
  let headSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headSent) {
        headSent = true;
        if (head.byteLength) {
          controller.enqueue(head);
          return;
        }
      }
      if (failure !== undefined) return controller.error(failure);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
}
