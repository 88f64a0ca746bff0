import type { RouteJSON } from '../config/caddy-json.ts';
import { goSliceStable } from './go-sort.ts';
import type { ConfigValue } from './helper.ts';

/**
 * Sorts a block's route values as Caddy's sortRoutes does: by directive order, then — within one directive — by
 * path-matcher specificity (longest path first; a route with matchers before one without). `vars` is reversed so
 * the most specific value, applied last, wins. Uses Go's stable sort, since these comparators are not strict orders.
 */
export function sortRoutes(values: ConfigValue[], order: readonly string[]): void {
  const pos = new Map<string, number>();
  order.forEach((d, i) => {
    pos.set(d, i);
  });
  goSliceStable(values, (a, b) => lessThan(a, b, pos));
}

function asRoute(v: ConfigValue): RouteJSON | undefined {
  return v.class === 'route' && v.value && typeof v.value === 'object' ? (v.value as RouteJSON) : undefined;
}

/** The single path of a route with exactly one matcher set holding exactly one path, else undefined. */
function singlePath(r: RouteJSON): string | undefined {
  if (r.match?.length !== 1) return undefined;
  const p = r.match[0].path;
  return Array.isArray(p) && p.length === 1 && typeof p[0] === 'string' ? p[0] : undefined;
}

function lessThan(a: ConfigValue, b: ConfigValue, pos: Map<string, number>): boolean {
  const ad = a.directive ?? '';
  const bd = b.directive ?? '';
  if (ad !== bd) return (pos.get(ad) ?? 0) < (pos.get(bd) ?? 0);
  const ar = asRoute(a);
  const br = asRoute(b);
  if (!ar || !br) return false;
  const byPath = pathLess(ar, br);
  return ad === 'vars' ? !byPath : byPath;
}

/** Go compares byte lengths; paths are ASCII in practice, so string length is close enough but use bytes anyway. */
function blen(s: string): number {
  return new TextEncoder().encode(s).length;
}

function pathLess(ar: RouteJSON, br: RouteJSON): boolean {
  const ap = singlePath(ar);
  const bp = singlePath(br);
  if (ap && bp) {
    const at = ap.endsWith('*') ? ap.slice(0, -1) : ap;
    const bt = bp.endsWith('*') ? bp.slice(0, -1) : bp;
    if (at === bt) return blen(ap) < blen(bp);
    if (blen(at) === blen(bt)) return at < bt;
    return blen(at) > blen(bt);
  }
  return (ar.match?.length ?? 0) > 0 && (br.match?.length ?? 0) === 0;
}
