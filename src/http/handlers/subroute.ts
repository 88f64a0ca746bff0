import type { RouteJSON } from '../../config/caddy-json.ts';
import { ConfigError } from '../../config/errors.ts';
import { handlerError } from './errors.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkFields, checkHandler, optRecord } from './util.ts';

/**
 * `subroute`: a nested route list (what handle/route blocks adapt to). Its own `errors` routes, if any, handle
 * errors from inside it; the chain after the subroute continues when its routes fall through.
 */
export const compileSubroute: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['routes', 'errors'], path);
  const routes = routeList(json.routes, `${path}.routes`);
  const inner = deps.compileRoutes(routes, `${path}.routes`);
  const errorsJson = optRecord(json.errors, 'errors', path);
  if (!errorsJson) return inner;
  checkFields(errorsJson, ['routes'], `${path}.errors`, 'errors');
  const errorRoutes = deps.compileRoutes(
    routeList(errorsJson.routes, `${path}.errors.routes`),
    `${path}.errors.routes`,
  );
  return async (ctx, next) => {
    try {
      return await inner(ctx, next);
    } catch (e) {
      if (!isHandlerFailure(e)) throw e;
      ctx.error = handlerError(500, e);
      return errorRoutes(ctx, next);
    }
  };
};

export function routeList(v: unknown, path: string): RouteJSON[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError('routes must be a list', path);
  return v as RouteJSON[];
}

/** Errors that error routes handle; an `abort` is not one of them: it drops the connection. */
export function isHandlerFailure(e: unknown): boolean {
  return !(e instanceof Error && e.name === 'AbortConnection');
}

export const subrouteHandler: HandlerModule = { name: 'subroute', compile: compileSubroute };
