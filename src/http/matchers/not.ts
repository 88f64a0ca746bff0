import type { MatcherSetJSON } from '../../config/caddy-json.ts';
import type { Matcher } from '../types.ts';
import { withPrepare } from './prepare.ts';
import { matcherError, type MatcherCompileContext } from './types.ts';

// `not`: a list of matcher sets; true iff none of them matches.
export function compileNot(json: unknown, c: MatcherCompileContext): Matcher {
  if (!Array.isArray(json)) throw matcherError(c, 'not must be a list of matcher sets');
  const sets = json.map((set, i) => {
    if (typeof set !== 'object' || set === null || Array.isArray(set))
      throw matcherError(c, `not[${i}] must be a matcher set`);
    return c.compileSets([set as MatcherSetJSON], `${c.path}[${i}]`);
  });
  return withPrepare((ctx) => !sets.some((m) => m(ctx)), sets);
}
