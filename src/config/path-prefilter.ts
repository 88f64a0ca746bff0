import { cleanPath } from '../http/matchers/glob.ts';
import { requestPathLower } from '../http/placeholders/request.ts';
import type { RequestContext } from '../http/types.ts';
import type { MatcherSetJSON } from './caddy-json.ts';

/**
 * A route's necessary condition on the request path: the first segments it can match. Most routes of a large site
 * are `handle /api/*`-style or `path_regexp ^/items/…`: such a route can only match a path whose first segment is
 * its literal one, which a Set lookup tells far more cheaply than running the route's matchers. Only patterns whose
 * first segment is certain are used (no wildcard, placeholder, escape or `//` in it; regexps anchored with `^`, no
 * flags, no alternation); anything else leaves the route without a requirement, tried as before.
 */
export function routeSegments(sets: readonly MatcherSetJSON[] | undefined): Set<string> | undefined {
  if (!sets || sets.length === 0) return undefined;
  const out = new Set<string>();
  for (const set of sets) {
    const s = set as { path?: unknown; path_regexp?: unknown };
    const segs =
      s.path !== undefined
        ? pathSegments(s.path)
        : s.path_regexp !== undefined
          ? regexpSegment(s.path_regexp)
          : undefined;
    if (!segs) return undefined;
    for (const seg of segs) out.add(seg);
  }
  return out;
}

/**
 * The request's first path segment as those patterns see it: lower-cased, decoded and cleaned (what the path
 * matcher compares; path_regexp's case-sensitive match implies this lower-cased one).
 */
export function requestSegment(ctx: RequestContext): string {
  const path = cleanPath(requestPathLower(ctx), true);
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

/**
 * `[a-z0-9_~-]` then any of `[a-z0-9_~.-]`: a segment the cleaned, lower-cased request path keeps as it is. A loop,
 * not a regular expression: it runs while the config compiles, where each expression's first run is a compile.
 */
function isLiteralSegment(seg: string): boolean {
  if (seg.length === 0) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    const ok =
      (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_' || c === '~' || c === '-' || (i > 0 && c === '.');
    if (!ok) return false;
  }
  return true;
}

/** First segments of a `path` matcher's patterns, when every pattern has a literal one. */
function pathSegments(json: unknown): string[] | undefined {
  if (!Array.isArray(json) || json.length === 0) return undefined;
  const out: string[] = [];
  for (const raw of json) {
    if (typeof raw !== 'string') return undefined;
    const p = raw.toLowerCase();
    if (!p.startsWith('/') || p.includes('//') || p.includes('%') || p.includes('{')) return undefined;
    const end = p.indexOf('/', 1);
    const seg = end < 0 ? p.slice(1) : p.slice(1, end);
    // A `.` or `..` segment is cleaned away from the request path: not a literal the request keeps.
    if (!isLiteralSegment(seg) || seg === '.' || seg === '..') return undefined;
    out.push(seg);
  }
  return out;
}

/** The literal first segment of `^/seg/…` or `^/seg$`, lower-cased. */
function regexpSegment(json: unknown): string[] | undefined {
  const pattern = (json as { pattern?: unknown } | null)?.pattern;
  if (typeof pattern !== 'string' || pattern.includes('|')) return undefined;
  // The literal must be followed by `/` or the end anchor: `^/items` alone also matches `/itemsX`.
  const m = /^\^\/([A-Za-z0-9_~-]+)(?:\/|\$)/.exec(pattern);
  return m ? [m[1].toLowerCase()] : undefined;
}
