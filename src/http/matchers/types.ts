import type { MatcherSetJSON } from '../../config/caddy-json.ts';
import type { Matcher } from '../types.ts';

/** What a matcher compiler gets besides its JSON: where it is (for errors) and a way to compile nested sets (`not`). */
export interface MatcherCompileContext {
  path: string;
  compileSets(sets: MatcherSetJSON[], path: string): Matcher;
}

export type MatcherCompiler = (json: unknown, c: MatcherCompileContext) => Matcher;

/** Errors for a bad matcher config, naming where it sits in the JSON. */
export function matcherError(c: MatcherCompileContext, msg: string): Error {
  return new Error(`${c.path}: ${msg}`);
}

export function stringList(json: unknown, c: MatcherCompileContext, what: string): string[] {
  if (!Array.isArray(json) || json.some((v) => typeof v !== 'string'))
    throw matcherError(c, `${what} must be a list of strings`);
  return json as string[];
}

export function stringMap(json: unknown, c: MatcherCompileContext, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw matcherError(c, `${what} must be an object`);
  return json as Record<string, unknown>;
}
