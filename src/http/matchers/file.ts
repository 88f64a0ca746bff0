import type { Matcher } from '../types.ts';
import { matcherError, type MatcherCompileContext } from './types.ts';

// `file` needs a file system; a Worker has none (a static-assets binding could back it later).
export function compileFile(_json: unknown, c: MatcherCompileContext): Matcher {
  throw matcherError(c, "the 'file' matcher is not supported: Workers have no file system to check (try_files / file matcher need one)");
}
