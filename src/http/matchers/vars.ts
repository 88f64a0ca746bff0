import { compileTemplate, resolvePlaceholder, toStr } from '../placeholders/index.ts';
import type { Matcher, RequestContext, Template } from '../types.ts';
import { CompiledRegexp } from './regexp.ts';
import { matcherError, stringMap, type MatcherCompileContext } from './types.ts';

// `vars` / `vars_regexp`: compare a variable (or, when the key is one `{placeholder}`, that placeholder's value) with
// the configured values. Keys are OR-ed, as in Caddy: the first key that matches wins.

function keyReader(key: string): (ctx: RequestContext) => string {
  if (key.startsWith('{') && key.endsWith('}') && key.split('{').length === 2) {
    const name = key.slice(1, -1);
    return (ctx) => resolvePlaceholder(ctx, name) ?? '';
  }
  return (ctx) => toStr(ctx.vars.get(key));
}

export function compileVars(json: unknown, c: MatcherCompileContext): Matcher {
  const entries: Array<[(ctx: RequestContext) => string, Template[]]> = Object.entries(stringMap(json, c, 'vars')).map(
    ([k, v]) => {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw matcherError(c, `vars ${k}: values must be a list of strings`);
      return [keyReader(k), (v as string[]).map((x) => compileTemplate(x))];
    },
  );
  if (entries.length === 0) return () => true;
  return (ctx) =>
    entries.some(([read, vals]) => {
      const actual = read(ctx);
      return vals.some((t) => t(ctx) === actual);
    });
}

export function compileVarsRegexp(json: unknown, c: MatcherCompileContext): Matcher {
  const entries = Object.entries(stringMap(json, c, 'vars_regexp')).map(
    ([k, v]) => [keyReader(k), new CompiledRegexp(v, c)] as const,
  );
  return (ctx) => entries.some(([read, re]) => re.match(ctx, read(ctx)));
}
