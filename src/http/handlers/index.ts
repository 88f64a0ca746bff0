import { ConfigError } from '../../config/errors.ts';
import { compileAuthentication } from './authentication.ts';
import { compileEncode } from './encode.ts';
import { compileError } from './error.ts';
import { compileFileServer } from './file-server.ts';
import { compileHeaders } from './headers.ts';
import { compileLogAppend } from './log-append.ts';
import { compileMap } from './map.ts';
import { compileMetrics } from './metrics.ts';
import { compileRequestBody } from './request-body.ts';
import { compileCopyResponseHandler, compileCopyResponseHeadersHandler, compileReverseProxyHandler } from './reverse-proxy.ts';
import { compileRewrite } from './rewrite.ts';
import { compileStaticResponse } from './static-response.ts';
import { compileSubroute } from './subroute.ts';
import type { HandlerCompiler } from './types.ts';
import { compileVars } from './vars.ts';
import { compileRateLimit } from '../../ratelimit/handler.ts';

export type { CompileDeps, ConfigGaugesSource, HandlerCompiler } from './types.ts';

/** Handler modules by their JSON `handler` name (Caddy's http.handlers.* IDs). */
export const handlers: ReadonlyMap<string, HandlerCompiler> = new Map<string, HandlerCompiler>([
  ['static_response', compileStaticResponse],
  ['error', compileError],
  ['headers', compileHeaders],
  ['rewrite', compileRewrite],
  ['subroute', compileSubroute],
  ['vars', compileVars],
  ['map', compileMap],
  ['authentication', compileAuthentication],
  ['request_body', compileRequestBody],
  ['encode', compileEncode],
  ['file_server', compileFileServer],
  ['reverse_proxy', compileReverseProxyHandler],
  ['copy_response', compileCopyResponseHandler],
  ['copy_response_headers', compileCopyResponseHeadersHandler],
  ['rate_limit', (json) => compileRateLimit(json)],
  ['metrics', compileMetrics],
  ['log_append', compileLogAppend],
]);

/** Looks up a handler module; an unknown one fails the compile with the list of what is available. */
export function handlerCompiler(name: unknown, path: string): HandlerCompiler {
  if (typeof name !== 'string' || name === '') throw new ConfigError('handler module has no "handler" name', path);
  const c = handlers.get(name);
  if (!c) throw new ConfigError(`unknown handler "${name}" (supported: ${[...handlers.keys()].sort().join(', ')})`, path);
  return c;
}
