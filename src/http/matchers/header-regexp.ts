import type { Matcher } from '../types.ts';
import { requestFieldValues } from './header.ts';
import { CompiledRegexp } from './regexp.ts';
import { stringMap, type MatcherCompileContext } from './types.ts';

// `header_regexp`: {"Field": {name, pattern}}; all fields must have a value matching their regexp.
export function compileHeaderRegexp(json: unknown, c: MatcherCompileContext): Matcher {
  const fields = Object.entries(stringMap(json, c, 'header_regexp')).map(
    ([f, re]) => [f.toLowerCase(), new CompiledRegexp(re, c)] as const,
  );
  return (ctx) => {
    for (const [field, re] of fields) {
      const vals = requestFieldValues(ctx, field);
      if (!vals?.some((v) => re.match(ctx, v))) return false;
    }
    return true;
  };
}
