import { locatedError } from '../caddyfile/errors.ts';
import type { RouteJSON } from '../config/caddy-json.ts';
import type { ConfigValue } from './helper.ts';
import { sortRoutes } from './sort.ts';

/**
 * Directives whose routes are mutually exclusive within one block: only the first matching one runs, so Caddy puts
 * them in a group. Listed sorted, because Caddy hands out group names in that order (`rewrite` always takes one,
 * even when the block has none — the group counter must advance the same way for names to match `caddy adapt`).
 */
const EXCLUSIVE = ['handle', 'rewrite', 'root'];

/**
 * Turns a block's config values into its route list (Caddy's buildSubroute): optionally sort by directive order,
 * group the mutually exclusive directives, and merge neighbouring routes with identical matchers.
 */
export function buildSubroute(
  values: ConfigValue[],
  order: readonly string[],
  nextGroup: () => string,
  needsSorting: boolean,
): RouteJSON[] {
  if (needsSorting) {
    for (const v of values) {
      if (!order.includes(v.directive ?? '')) {
        throw locatedError(
          v.at,
          `directive '${v.directive ?? ''}' is not an ordered HTTP handler, so it cannot be used here - try placing within a route block or using the order global option`,
        );
      }
    }
    sortRoutes(values, order);
  }
  const groups = new Map<string, string>();
  for (const dir of EXCLUSIVE) {
    const count = values.filter((v) => v.directive === dir).length;
    if (count > 1 || dir === 'rewrite') groups.set(dir, nextGroup());
  }
  const routes: RouteJSON[] = [];
  for (const v of values) {
    if (v.class !== 'route' || !v.value || typeof v.value !== 'object') continue;
    const route = { ...(v.value as RouteJSON) };
    const dir = v.directive ?? '';
    if (EXCLUSIVE.includes(dir)) {
      const g = groups.get(dir);
      if (g) route.group = g;
      else delete route.group;
    }
    routes.push(route);
  }
  return consolidateRoutes(routes);
}

/** Deep equality of JSON values, ignoring key order (matcher sets are JSON objects). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

function sameMatchers(a: RouteJSON, b: RouteJSON): boolean {
  const am = a.match?.length ? a.match : undefined;
  const bm = b.match?.length ? b.match : undefined;
  return jsonEqual(am, bm);
}

/**
 * Merges each route into the one before it when both have the same matchers, terminal flag and group (Caddy's
 * consolidateRoutes): fewer, equivalent routes.
 */
export function consolidateRoutes(routes: RouteJSON[]): RouteJSON[] {
  const out = routes.slice();
  for (let i = 0; i < out.length - 1; i++) {
    const a = out[i];
    const b = out[i + 1];
    if (sameMatchers(a, b) && Boolean(a.terminal) === Boolean(b.terminal) && (a.group ?? '') === (b.group ?? '')) {
      const handle = [...(a.handle ?? []), ...(b.handle ?? [])];
      out[i] = { ...a };
      if (handle.length) out[i].handle = handle;
      out.splice(i + 1, 1);
      i--;
    }
  }
  return out;
}
