import { HandlerError } from '../types.ts';
import { errorId } from './errors.ts';
import { replaceRequest } from './request.ts';
import { replaceAll } from './tpl.ts';
import type { HandlerCompiler } from './types.ts';
import { checkHandler, optNumber, optString } from './util.ts';

/**
 * `request_body`: `set` replaces the body (a Worker cannot give a GET/HEAD request a body, so there it is
 * dropped); `max_size` limits it the way Caddy does, lazily: whoever reads past the limit gets a 413 error, and a
 * handler that never reads the body is unaffected.
 */
export const compileRequestBody: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['max_size', 'set'], path);
  const max = optNumber(json.max_size, 'max_size', path) ?? 0;
  const setSrc = optString(json.set, 'set', path);
  const set = setSrc ? replaceAll(setSrc) : undefined;
  return async (ctx, next) => {
    if (set) {
      const method = ctx.request.method;
      if (method !== 'GET' && method !== 'HEAD') {
        const headers = new Headers(ctx.request.headers);
        headers.delete('content-length');
        replaceRequest(ctx, ctx.url, { headers, body: set(ctx) });
      }
    }
    if (max > 0 && ctx.request.body) {
      replaceRequest(ctx, ctx.url, { body: limitStream(ctx.request.body, max) });
    }
    return next(ctx);
  };
};

/** Passes at most `max` bytes through, then errors the stream with a 413 HandlerError. */
export function limitStream(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) {
          controller.error(new HandlerError(413, 'http: request body too large', errorId()));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
