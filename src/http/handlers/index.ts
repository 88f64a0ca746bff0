import { ConfigError } from '../../config/errors.ts';
import { rateLimitHandler } from '../../ratelimit/handler.ts';
import { authenticationHandler } from './authentication.ts';
import { encodeHandler } from './encode.ts';
import { errorHandler } from './error.ts';
import { fileServerHandler } from './file-server.ts';
import { headersHandler } from './headers.ts';
import { logAppendHandler } from './log-append.ts';
import { mapHandler } from './map.ts';
import { metricsHandler } from './metrics.ts';
import { requestBodyHandler } from './request-body.ts';
import { copyResponseHandler, copyResponseHeadersHandler, reverseProxyHandler } from './reverse-proxy.ts';
import { rewriteHandler } from './rewrite.ts';
import { staticResponseHandler } from './static-response.ts';
import { subrouteHandler } from './subroute.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { varsHandler } from './vars.ts';

export type { CompileDeps, ConfigGaugesSource, HandlerCompiler, HandlerModule } from './types.ts';

/** Handler modules by their JSON `handler` name (Caddy's http.handlers.* IDs); each file exports its module. */
const handlers = new Map<string, HandlerCompiler>();

/** Adds a handler module; a name can be registered once. */
export function registerHandler(module: HandlerModule): void {
  if (handlers.has(module.name)) throw new Error(`handler ${module.name} is already registered`);
  handlers.set(module.name, module.compile);
}

registerHandler(staticResponseHandler);
registerHandler(errorHandler);
registerHandler(headersHandler);
registerHandler(rewriteHandler);
registerHandler(subrouteHandler);
registerHandler(varsHandler);
registerHandler(mapHandler);
registerHandler(authenticationHandler);
registerHandler(requestBodyHandler);
registerHandler(encodeHandler);
registerHandler(fileServerHandler);
registerHandler(reverseProxyHandler);
registerHandler(copyResponseHandler);
registerHandler(copyResponseHeadersHandler);
registerHandler(rateLimitHandler);
registerHandler(metricsHandler);
registerHandler(logAppendHandler);

/** Looks up a handler module; an unknown one fails the compile with the list of what is available. */
export function handlerCompiler(name: unknown, path: string): HandlerCompiler {
  if (typeof name !== 'string' || name === '') throw new ConfigError('handler module has no "handler" name', path);
  const c = handlers.get(name);
  if (!c)
    throw new ConfigError(`unknown handler "${name}" (supported: ${[...handlers.keys()].sort().join(', ')})`, path);
  return c;
}
