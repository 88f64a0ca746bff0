import { ConfigError } from '../../config/errors.ts';
import { HandlerError } from '../types.ts';
import { errorId } from './errors.ts';
import { replaceAll } from './tpl.ts';
import type { HandlerCompiler } from './types.ts';
import { checkHandler, optBool, stringList, weakString } from './util.ts';

interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/**
 * `file_server` on Workers: there is no file system, so files come from the Worker's static assets (the ASSETS
 * binding); the assets directory plays the role of `root`. Without that binding the config is rejected. A missing
 * file is a 404 error (handle_errors applies) unless `pass_thru` hands the request to the next handler.
 */
export const compileFileServer: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['root', 'pass_thru', 'status_code', 'index_names', 'canonical_uris', 'precompressed', 'precompressed_order'], path);
  if (deps.bindings && !deps.bindings.has('ASSETS')) {
    throw new ConfigError('file_server needs static assets: add an [assets] directory with binding = "ASSETS" to wrangler.toml', path);
  }
  const index = stringList(json.index_names, 'index_names', path);
  if (index.length && !(index.length === 1 && index[0] === 'index.html')) {
    throw new ConfigError('file_server: index_names other than index.html are not supported with static assets', path);
  }
  const passThru = optBool(json.pass_thru, 'pass_thru', path);
  const statusSrc = weakString(json.status_code, 'status_code', path);
  const status = statusSrc ? replaceAll(statusSrc) : undefined;
  return async (ctx, next) => {
    const assets = ctx.env.ASSETS as AssetsBinding | undefined;
    if (!assets) throw new HandlerError(500, 'file_server: ASSETS binding missing', errorId());
    const method = ctx.request.method;
    if (method !== 'GET' && method !== 'HEAD') {
      if (passThru) return next(ctx);
      throw new HandlerError(405, 'method not allowed', errorId());
    }
    const res = await assets.fetch(new Request(ctx.url.toString(), { method, headers: ctx.request.headers }));
    if (res.status === 404) {
      if (passThru) return next(ctx);
      throw new HandlerError(404, 'file not found', errorId());
    }
    if (status && res.status >= 200 && res.status < 300) {
      const code = Number(status(ctx));
      if (Number.isInteger(code) && code >= 200 && code <= 599) return new Response(res.body, { status: code, headers: res.headers });
    }
    return res;
  };
};
