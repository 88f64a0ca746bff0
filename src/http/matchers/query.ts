import { compileTemplate } from '../placeholders/index.ts';
import { rawQuery } from '../placeholders/request.ts';
import type { Matcher, Template } from '../types.ts';
import { matcherError, stringMap, type MatcherCompileContext } from './types.ts';

// `query`: every configured key must be present with one of its values (`*` = any value). An empty map matches only
// requests without query parameters. The raw query is parsed like Go's url.ParseQuery: a `;` or a bad %-escape makes
// the query malformed, and a malformed query never matches a non-empty matcher.

/** Go's url.ParseQuery: the pairs that parse, and whether any did not (Go returns both). */
export function parseGoQuery(raw: string): { values: Map<string, string[]>; malformed: boolean } {
  const out = new Map<string, string[]>();
  let malformed = false;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      malformed = true;
      continue;
    }
    const eq = part.indexOf('=');
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (k === null || v === null) {
      malformed = true;
      continue;
    }
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return { values: out, malformed };
}

function queryUnescape(s: string): string | null {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return null;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

export function compileQuery(json: unknown, c: MatcherCompileContext): Matcher {
  const map = stringMap(json, c, 'query');
  const entries: Array<[Template, Template[]]> = Object.entries(map).map(([k, v]) => {
    // null (no values) is allowed: the key then never matches, as in Caddy.
    const list = v === null ? [] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
      throw matcherError(c, `query ${k}: values must be a list of strings`);
    return [compileTemplate(k), (list as string[]).map((x) => compileTemplate(x))];
  });
  return (ctx) => {
    const { values: q, malformed } = parseGoQuery(rawQuery(ctx.url));
    // No keys: "no query parameters", judged leniently like Go's URL.Query() (bad pairs are skipped).
    if (entries.length === 0) return q.size === 0;
    if (malformed) return false;
    for (const [key, vals] of entries) {
      const actual = q.get(key(ctx));
      if (!actual) return false;
      const want = vals.map((t) => t(ctx));
      if (!want.some((w) => w === '*' || actual.includes(w))) return false;
    }
    return true;
  };
}
