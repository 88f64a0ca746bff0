import type { HandlerJSON, RouteJSON, SubrouteHandlerJSON } from '../../config/caddy-json.ts';
import { NAMED_ROUTE_STATE_KEY, type ConfigValue, type Helper } from '../helper.ts';
import { nextArg } from '../matchers/util.ts';
import { registerDirective, registerHandlerDirective, registerUnsupportedDirective } from '../registry.ts';

/**
 * Block directives: `handle`, `handle_path`, `route`, `handle_errors` and `invoke`. Their bodies are
 * parsed as directives by the Helper; these parsers only shape the result the way Caddy does.
 */

/** `handle [<matcher>] { … }`: the body, sorted like a site block, as one subroute behind the matcher. */
registerHandlerDirective('handle', (h: Helper): HandlerJSON => h.parseSegmentAsSubroute());

/** `route [<matcher>] { … }`: like handle, but the body keeps file order and may hold only handler directives. */
registerHandlerDirective('route', (h: Helper): HandlerJSON => {
  const values = h.parseSegmentAsConfig();
  for (const v of values) {
    if (v.class !== 'route') {
      throw h.err(
        `${v.directive ?? v.class} directive returned something other than an HTTP route or subroute ` +
          '(only handler directives can be used in routes)',
      );
    }
  }
  const routes = h.buildSubrouteUnsorted ? h.buildSubrouteUnsorted(values) : h.buildSubroute(values);
  return subroute(routes);
});

/**
 * `handle_path <path> { … }`: `handle` on that path, whose subroute first strips the path's prefix from the URI
 * (the path minus a trailing `/*` or `*`). Only an inline path is accepted, not a named matcher.
 */
registerDirective('handle_path', (h: Helper): ConfigValue[] => {
  h.next(); // the directive name
  if (!nextArg(h)) throw h.argErr();
  const path = h.val();
  if (!path.startsWith('/')) throw h.err(`path matcher must begin with '/', got ${path}`);
  const strip = path.endsWith('/*') ? path.slice(0, -2) : path.endsWith('*') ? path.slice(0, -1) : path;

  // parseSegmentAsSubroute starts on the token before the block, as a handler directive's parser would
  h.reset();
  h.next();
  const handler = h.parseSegmentAsSubroute() as SubrouteHandlerJSON;
  const rewrite: HandlerJSON = strip ? { handler: 'rewrite', strip_path_prefix: strip } : { handler: 'rewrite' };
  handler.routes = [{ handle: [rewrite] }, ...(handler.routes ?? [])];
  return h.newRoute({ path: [path] }, handler);
});

/** Caddy's `{http.error.status_code}` expression for `handle_errors` arguments (`404 410`, `5xx`). */
function statusExpression(h: Helper, codes: string[]): string {
  const parts: string[] = [];
  const exact: string[] = [];
  for (const val of codes) {
    if (val.length !== 3) throw h.err(`bad status value '${val}'`);
    if (val.endsWith('xx')) {
      const d = val[0];
      if (!/^[0-9]$/.test(d)) throw h.err(`bad status value '${d}': strconv.Atoi: parsing "${d}": invalid syntax`);
      parts.push(`{http.error.status_code} >= ${d}00 && {http.error.status_code} <= ${d}99`);
      continue;
    }
    if (!/^[+-]?[0-9]+$/.test(val))
      throw h.err(`bad status value '${val}': strconv.Atoi: parsing "${val}": invalid syntax`);
    exact.push(val);
  }
  if (exact.length) parts.push(`{http.error.status_code} in [${exact.join(', ')}]`);
  return parts.join(' || ');
}

/**
 * `handle_errors [<codes>…] { … }`: an `error_route` value for the server's error routes; with codes, the route
 * matches only those error statuses.
 */
registerDirective('handle_errors', (h: Helper): ConfigValue[] => {
  h.next(); // the directive name
  const codes = h.remainingArgs();
  const expression = codes.length ? statusExpression(h, codes) : '';
  // leave the cursor on the token before the block for parseSegmentAsSubroute
  h.prev();
  const route: RouteJSON = {};
  if (expression) route.match = [{ expression }];
  route.handle = [h.parseSegmentAsSubroute()];
  return [{ class: 'error_route', value: route }];
});

/** `invoke <name>`: runs the `&(name)` route; the name is recorded so the server gets a copy of that route. */
registerHandlerDirective('invoke', (h: Helper): HandlerJSON => {
  h.next(); // the directive name
  if (!nextArg(h)) throw h.argErr();
  const name = h.val();
  if (h.next()) throw h.argErr(); // exactly one argument and no block
  let invoked = h.state.get(NAMED_ROUTE_STATE_KEY) as Set<string> | undefined;
  if (!invoked) {
    invoked = new Set<string>();
    h.state.set(NAMED_ROUTE_STATE_KEY, invoked);
  }
  invoked.add(name);
  return { handler: 'invoke', name };
});
// The compiler has no named_routes yet: refused after parsing, like the directives in misc.ts.
registerUnsupportedDirective(
  'invoke',
  'named routes are not implemented yet, put the route in a snippet and import it',
);

function subroute(routes: RouteJSON[]): SubrouteHandlerJSON {
  return routes.length ? { handler: 'subroute', routes } : { handler: 'subroute' };
}
