import { compileTemplate } from '../placeholders/index.ts';
import { requestField, requestHostport } from '../placeholders/request.ts';
import type { Matcher, RequestContext, Template } from '../types.ts';
import { matcherError, stringMap, type MatcherCompileContext } from './types.ts';

// `header`: every configured field must match (AND); a field matches if any request value matches any configured
// value (`*` present, `*x*` contains, `*x` suffix, `x*` prefix, else exact, case-sensitive). JSON `null` = the field
// must be absent; an empty list = it must be present. `Host` is the request's Host (Go keeps it out of the headers).

/**
 * Request values of `lower` (a lower-case field name) as Caddy sees them (undefined = absent). Workers join
 * repeated fields with ", ".
 */
export function requestFieldValues(ctx: RequestContext, lower: string): string[] | undefined {
  if (lower === 'host') return [requestHostport(ctx)];
  const v = requestField(ctx, lower);
  return v === null ? undefined : [v];
}

export function valueMatches(allowed: string, actual: string): boolean {
  if (allowed === '*') return true;
  const pre = allowed.startsWith('*');
  const suf = allowed.endsWith('*');
  if (pre && suf) return actual.includes(allowed.slice(1, -1));
  if (pre) return actual.endsWith(allowed.slice(1));
  if (suf) return actual.startsWith(allowed.slice(0, -1));
  return actual === allowed;
}

export function compileHeaderFields(
  json: unknown,
  c: MatcherCompileContext,
  values: (ctx: RequestContext, field: string) => string[] | undefined,
): Matcher {
  const map = stringMap(json, c, 'header');
  const fields: Array<{ field: string; allowed: Array<string | Template> | null }> = [];
  for (const [field, v] of Object.entries(map)) {
    // Names are case-insensitive: lower-cased once here, not per request.
    const name = field.toLowerCase();
    if (v === null) fields.push({ field: name, allowed: null });
    // Values without placeholders stay strings: nothing to evaluate per request.
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      fields.push({ field: name, allowed: v.map((x) => (x.includes('{') ? compileTemplate(x) : x)) });
    else throw matcherError(c, `header ${field}: values must be a list of strings or null`);
  }
  return (ctx) => {
    for (const { field, allowed } of fields) {
      const actual = values(ctx, field);
      if (allowed === null) {
        if (actual === undefined) continue;
        return false;
      }
      if (allowed.length === 0) {
        if (actual !== undefined) continue;
        return false;
      }
      if (!actual || !anyMatches(ctx, allowed, actual)) return false;
    }
    return true;
  };
}

export function compileHeader(json: unknown, c: MatcherCompileContext): Matcher {
  return exactFieldMatcher(json) ?? compileHeaderFields(json, c, requestFieldValues);
}

/**
 * `header X-Tenant t1 t2`, the common form (one field other than Host, values without `*` or placeholders): a Set
 * lookup of the field's value, where the general matcher builds a value list and compares each pattern.
 */
function exactFieldMatcher(json: unknown): Matcher | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const entries = Object.entries(json);
  if (entries.length !== 1) return undefined;
  const [field, values] = entries[0];
  const name = field.toLowerCase();
  if (name === 'host' || !Array.isArray(values) || values.length === 0) return undefined;
  if (!values.every((v) => typeof v === 'string' && !v.includes('*') && !v.includes('{'))) return undefined;
  const allowed = new Set<string>(values);
  return (ctx) => {
    const actual = requestField(ctx, name);
    return actual !== null && allowed.has(actual);
  };
}

/** Whether any request value matches any allowed value (loops, not closures: this runs for every route). */
function anyMatches(ctx: RequestContext, allowed: Array<string | Template>, actual: string[]): boolean {
  for (let a = 0; a < actual.length; a++) {
    for (let w = 0; w < allowed.length; w++) {
      const want = allowed[w];
      if (valueMatches(typeof want === 'string' ? want : want(ctx), actual[a])) return true;
    }
  }
  return false;
}
