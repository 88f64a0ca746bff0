import type { RequestContext } from '../types.ts';
import type { CelValue } from './cel-parse.ts';

// Values and operators of the CEL subset (see expression.ts): equality, ordering, size, type checks.

export type Eval = (ctx: RequestContext) => CelValue;

export class CelEvalError extends Error {}

// Placeholders whose Caddy value is an int, so CEL compares them as numbers.
export const INT_PLACEHOLDERS = new Set([
  'http.error.status_code',
  'http.request.port',
  'http.request.remote.port',
  'http.request.local.port',
  'http.reverse_proxy.status_code',
  'http.reverse_proxy.upstream.port',
  'http.reverse_proxy.upstream.requests',
  'http.reverse_proxy.upstream.max_requests',
  'http.reverse_proxy.upstream.fails',
  'http.intercept.status_code',
  'time.now.unix',
  'time.now.unix_ms',
  'time.now.year',
]);

/** Caddy's rewrite of `{placeholder}` into `ph(req, "placeholder")`, then of `\{x}` into `{x}`. */
export function expandPlaceholders(expr: string): string {
  return expr.replace(/([^\\]|^)\{([a-zA-Z][\w.-]+)\}/g, '$1ph(req, "$2")').replace(/\\\{([a-zA-Z][\w.-]+)\}/g, '{$1}');
}

export const typeName = (v: CelValue): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'list'
      : v instanceof Map
        ? 'map'
        : typeof v === 'number'
          ? 'number'
          : typeof v;

export function celEquals(a: CelValue, b: CelValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !celEquals(v, b.get(k) ?? null)) return false;
    return true;
  }
  return a === b;
}

export function compare(op: string, a: CelValue, b: CelValue): boolean {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string' && typeof a !== 'boolean')) {
    throw new CelEvalError(`no such overload: ${typeName(a)} ${op} ${typeName(b)}`);
  }
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

export const str = (v: CelValue, what: string): string => {
  if (typeof v !== 'string') throw new CelEvalError(`${what} needs a string, got ${typeName(v)}`);
  return v;
};

export const bool = (v: CelValue, what: string): boolean => {
  if (typeof v !== 'boolean') throw new CelEvalError(`${what} needs a bool, got ${typeName(v)}`);
  return v;
};

export function size(v: CelValue): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  throw new CelEvalError(`size() of ${typeName(v)}`);
}

/** Turns a literal CEL value into the JSON a matcher compiler takes. */
export function toJSON(v: CelValue): unknown {
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJSON(x)]));
  return v;
}
