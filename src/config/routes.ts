import type { ActivationHook, ConfigGaugesSource } from '../http/handlers/types.ts';
import type { PoolScope } from '../proxy/pool-scope.ts';
import type { RouteInstrument } from '../metrics/http.ts';
import type { HandlerJSON, RouteJSON } from './caddy-json.ts';
import { ConfigError } from './errors.ts';
import { handlerCompiler } from '../http/handlers/index.ts';
import type { CompileDeps } from '../http/handlers/index.ts';
import { emptyResponse } from '../http/handlers/response.ts';
import { isRecord } from '../http/handlers/util.ts';
import { compileMatcherSets } from '../http/matchers/index.ts';
import { prepareOf, type Prepare } from '../http/matchers/prepare.ts';
import { usesBodyPlaceholder, withBodyPlaceholder } from '../http/request-body-placeholder.ts';
import { firstAtLeast } from './host-index.ts';
import { RouteCandidates } from './route-candidates.ts';
import type { Handler, Matcher, Next, RequestContext } from '../http/types.ts';

/**
 * Caddy's route list (modules/caddyhttp/routes.go), compiled once: each route is an OR of matcher sets and a
 * handler chain. At request time a route that does not match, or whose `group` already had a route run for this
 * request, passes to the next route; a `terminal` route ends the list after its handlers.
 */
interface CompiledRoute {
  group?: string;
  match?: Matcher;
  /** The async step of a matcher that needs I/O (file), awaited before `match`. */
  prepare?: Prepare;
  handlers: Handler[];
  terminal: boolean;
  /** Module name of the route's first handler: the `handler` label of Caddy's HTTP metrics. */
  firstHandler: string;
}

/** Groups that already had a route run, per request (shared by every route list, including error routes). */
function groupsOf(ctx: RequestContext): Set<string> {
  return (ctx.groupsRun ??= new Set());
}

/** End of the chain when nothing wrote a response: an empty 200, or the error status inside error routes. */
export const emptyNext: Next = async (ctx) => emptyResponse(ctx.error ? ctx.error.statusCode || 500 : 200);

export interface RouteCompileOptions {
  bindings: ReadonlySet<string> | undefined;
  /** Collects the handlers' activation hooks (see CompiledConfig.activate). */
  activations?: ActivationHook[];
  configGauges?: ConfigGaugesSource;
  /** The config's shared upstream pools, which its reverse_proxy handlers join. */
  pools?: PoolScope;
}

/** `instrument` (top-level server routes only) wraps each matched route's run in the HTTP metrics. */
export function compileRouteList(
  routes: RouteJSON[],
  path: string,
  opts: RouteCompileOptions,
  instrument?: RouteInstrument,
): Handler {
  if (!Array.isArray(routes)) throw new ConfigError('routes must be a list', path);
  const compiled = routes.map((r, i) => compileRoute(r, `${path}[${i}]`, opts));
  if (compiled.length === 0) return (ctx, next) => next(ctx);
  // Many sites, path routes or header routes: only the routes that can match the request's host, first path segment
  // and header fields are tried (the same first match as the full scan, see RouteCandidates).
  const index = RouteCandidates.build(routes.map((r) => r.match));

  /** Runs route i if it matches (undefined if it does not, or its group already ran). */
  const attempt = (i: number, ctx: RequestContext, next: Next, prepared = false): Promise<Response> | undefined => {
    const route = compiled[i];
    if (route.prepare && !prepared) {
      return route.prepare(ctx).then(() => attempt(i, ctx, next, true) ?? run(i + 1, ctx, next));
    }
    if (route.match && !route.match(ctx)) return undefined;
    if (route.group !== undefined) {
      const groups = groupsOf(ctx);
      if (groups.has(route.group)) return undefined;
      groups.add(route.group);
    }
    const after: Next = route.terminal ? emptyNext : (c) => run(i + 1, c, next);
    if (instrument) return instrument(route.firstHandler, ctx, () => chain(route.handlers, 0, ctx, after));
    return chain(route.handlers, 0, ctx, after);
  };

  const run = (from: number, ctx: RequestContext, next: Next): Promise<Response> => {
    // Looked up per continuation: an earlier route's handlers may have changed the host, the path or the fields.
    if (index) {
      const list = index.candidates(ctx);
      for (let k = firstAtLeast(list, from); k < list.length; k++) {
        const res = attempt(list[k], ctx, next);
        if (res) return res;
      }
    } else {
      for (let i = from; i < compiled.length; i++) {
        const res = attempt(i, ctx, next);
        if (res) return res;
      }
    }
    return next(ctx);
  };
  return (ctx, next) => run(0, ctx, next);
}

function chain(handlers: Handler[], k: number, ctx: RequestContext, end: Next): Promise<Response> {
  if (k >= handlers.length) return end(ctx);
  // The last handler continues straight to `end`: no closure for it (most routes have one handler).
  if (k === handlers.length - 1) return handlers[k](ctx, end);
  return handlers[k](ctx, (c) => chain(handlers, k + 1, c, end));
}

function compileRoute(route: RouteJSON, path: string, opts: RouteCompileOptions): CompiledRoute {
  if (!isRecord(route)) throw new ConfigError('a route must be an object', path);
  for (const key of Object.keys(route)) {
    if (!['group', 'match', 'handle', 'terminal'].includes(key))
      throw new ConfigError(`route: unsupported field "${key}"`, path);
  }
  if (route.group !== undefined && typeof route.group !== 'string')
    throw new ConfigError('route group must be a string', path);
  if (route.terminal !== undefined && typeof route.terminal !== 'boolean')
    throw new ConfigError('route terminal must be a boolean', path);
  if (route.match !== undefined && !Array.isArray(route.match))
    throw new ConfigError('route match must be a list of matcher sets', path);
  if (route.handle !== undefined && !Array.isArray(route.handle))
    throw new ConfigError('route handle must be a list of handlers', path);

  const match = route.match && route.match.length > 0 ? compileMatcherSets(route.match, `${path}.match`) : undefined;
  const handlers = (route.handle ?? []).map((h, j) => {
    const hpath = `${path}.handle[${j}]`;
    if (!isRecord(h)) throw new ConfigError('a handler must be an object', hpath);
    const deps: CompileDeps = {
      path: hpath,
      bindings: opts.bindings,
      compileRoutes: (routes, p) => compileRouteList(routes, p, opts),
      onActivate: (hook) => opts.activations?.push(hook),
      configGauges: opts.configGauges,
      pools: opts.pools,
    };
    const handler = handlerCompiler(h.handler, hpath)(h as HandlerJSON, deps);
    return usesBodyPlaceholder(h) ? withBodyPlaceholder(handler) : handler;
  });
  const firstHandler = String(route.handle?.[0]?.handler ?? 'none');
  const prepare = match && prepareOf(match);
  return { group: route.group || undefined, match, prepare, handlers, terminal: route.terminal === true, firstHandler };
}
