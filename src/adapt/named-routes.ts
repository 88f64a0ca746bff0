import { CaddyfileError, locatedError } from '../caddyfile/errors.ts';
import type { ServerBlock } from '../caddyfile/serverblock.ts';
import type { RouteJSON, ServerJSON, SubrouteHandlerJSON } from '../config/caddy-json.ts';
import { NAMED_ROUTE_STATE_KEY, type Helper } from './helper.ts';
import { pushAll } from '../util/push-all.ts';

/** The error for an `invoke` of a route nobody defined; the caller locates it at the `invoke` naming the route. */
export type UndefinedNamedRoute = CaddyfileError & { routeName?: string };

/**
 * Named routes: `&(name) { … }` blocks define routes that sites run with `invoke name`; a server
 * gets a copy of every named route it invokes, directly or through other named routes. The adapter calls these.
 */

/** What the `&(name)` blocks of a Caddyfile define. */
export interface NamedRoutes {
  /** Route per name. */
  routes: Map<string, RouteJSON>;
  /** Names each named route itself invokes (so servers get those too). */
  invokes: Map<string, string[]>;
}

/** Names recorded by `invoke` since the last call, and forgets them (the state is shared across blocks). */
export function takeInvokedNames(state: Map<string, unknown>): string[] {
  const names = state.get(NAMED_ROUTE_STATE_KEY) as Set<string> | undefined;
  state.delete(NAMED_ROUTE_STATE_KEY);
  return names ? [...names] : [];
}

/**
 * Parses every named-route block. `helperFor` must return a Helper over the block's tokens (its single segment,
 * `name { … }`) with no outer matcher definitions, sharing one state across the named routes.
 */
export function parseNamedRoutes(blocks: ServerBlock[], helperFor: (block: ServerBlock) => Helper): NamedRoutes {
  const out: NamedRoutes = { routes: new Map(), invokes: new Map() };
  for (const block of blocks) {
    if (!block.isNamedRoute || block.segments.length === 0) continue;
    const h = helperFor(block);
    const name = block.keys[0]?.text ?? '';
    const route = namedRoute(h.parseSegmentAsSubroute() as SubrouteHandlerJSON);
    if (out.routes.has(name)) throw locatedError(block.keys[0], `cannot have duplicate named_routes: ${name}`);
    out.routes.set(name, route);
    const invoked = takeInvokedNames(h.state);
    if (invoked.length) out.invokes.set(name, invoked);
  }
  return out;
}

/**
 * A lone unconditional route inside needs no subroute: its first handler becomes the named route's handler. Only
 * the first: Caddy keeps just that one even when the route holds several (e.g. `invoke b` + `respond` consolidated),
 * and `caddy adapt` output (golden invoke_nested_named_routes) shows it, so Gatehouse does the same.
 */
function namedRoute(sub: SubrouteHandlerJSON): RouteJSON {
  const routes = sub.routes ?? [];
  if (routes.length === 1 && !routes[0].match?.length && routes[0].handle?.length) {
    return { handle: [routes[0].handle[0]] };
  }
  return { handle: [sub] };
}

/**
 * Copies into `server.named_routes` every route the given names invoke, following invokes between named routes
 * (each copied once, so invoke loops end). An undefined name is an error, as in Caddy.
 */
export function attachNamedRoutes(server: ServerJSON, invoked: Iterable<string>, defined: NamedRoutes): void {
  const queue = [...invoked];
  if (!queue.length) return;
  const attached: Record<string, RouteJSON> = { ...(server.named_routes ?? {}) };
  while (queue.length) {
    const name = queue.shift() as string;
    if (Object.hasOwn(attached, name)) continue;
    const route = defined.routes.get(name);
    if (!route) {
      const err: UndefinedNamedRoute = new CaddyfileError(`cannot invoke named route '${name}', which was not defined`);
      err.routeName = name;
      throw err;
    }
    attached[name] = structuredClone(route);
    pushAll(queue, defined.invokes.get(name) ?? []);
  }
  server.named_routes = Object.fromEntries(
    Object.keys(attached)
      .sort()
      .map((k) => [k, attached[k]]),
  );
}
