import { requestPath } from '../placeholders/request.ts';
import type { Matcher } from '../types.ts';
import { cleanPath } from './glob.ts';
import { CompiledRegexp } from './regexp.ts';
import type { MatcherCompileContext } from './types.ts';

// `path_regexp`: case-sensitive, unanchored RE2 on the decoded, cleaned path; captures become {re.name.N}.
export function compilePathRegexp(json: unknown, c: MatcherCompileContext): Matcher {
  const re = new CompiledRegexp(json, c);
  return (ctx) => re.match(ctx, cleanPath(requestPath(ctx), true));
}
