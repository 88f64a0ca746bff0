import { limitStream } from '../body-limit.ts';
import { replaceRequest } from './request.ts';
import { replaceAll } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, optNumber, optString } from './util.ts';

/**
 * `request_body`: `set` replaces the body (a Worker cannot give a GET/HEAD request a body, so there it is
 * dropped); `max_size` limits it the way Caddy does, lazily: whoever reads past the limit gets a 413 error, and a
 * handler that never reads the body is unaffected. The limit is kept on the request so that reverse_proxy can
 * abort its upstream request when the body fails (body-limit.ts).
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
        ctx.requestBodyLimit = undefined; // an earlier max_size limited the body this one replaces
      }
    }
    if (max > 0 && ctx.request.body) {
      const limit = (ctx.requestBodyLimit ??= { maxSize: max, failed: new AbortController() });
      if (max < limit.maxSize) limit.maxSize = max;
      replaceRequest(ctx, ctx.url, { body: limitStream(ctx.request.body, max, limit.failed) });
    }
    return next(ctx);
  };
};

export const requestBodyHandler: HandlerModule = { name: 'request_body', compile: compileRequestBody };
