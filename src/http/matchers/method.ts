import type { Matcher } from '../types.ts';
import { stringList, type MatcherCompileContext } from './types.ts';

// `method`: configured verbs uppercased, exact compare.
export function compileMethod(json: unknown, c: MatcherCompileContext): Matcher {
  const methods = new Set(stringList(json, c, 'method').map((m) => m.toUpperCase()));
  return (ctx) => methods.has(ctx.request.method);
}
