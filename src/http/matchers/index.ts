import type { MatcherSetJSON } from '../../config/caddy-json.ts';
import type { Matcher } from '../types.ts';
import { compileExpression } from './expression.ts';
import { compileFile } from './file.ts';
import { compileHeader } from './header.ts';
import { compileHeaderRegexp } from './header-regexp.ts';
import { compileHost } from './host.ts';
import { compileClientIP, compileRemoteIP } from './ip.ts';
import { compileMethod } from './method.ts';
import { compileNot } from './not.ts';
import { withPrepare } from './prepare.ts';
import { compilePath } from './path.ts';
import { compilePathRegexp } from './path-regexp.ts';
import { compileProtocol } from './protocol.ts';
import { compileQuery } from './query.ts';
import type { MatcherCompileContext, MatcherCompiler } from './types.ts';
import { compileVars, compileVarsRegexp } from './vars.ts';

// Route matchers (Caddy's http.matchers.*): a matcher set ANDs its matchers, a route ORs its sets.

export const MATCHERS: Record<string, MatcherCompiler> = {
  path: compilePath,
  path_regexp: compilePathRegexp,
  host: compileHost,
  method: compileMethod,
  header: compileHeader,
  header_regexp: compileHeaderRegexp,
  query: compileQuery,
  remote_ip: compileRemoteIP,
  client_ip: compileClientIP,
  protocol: compileProtocol,
  not: compileNot,
  vars: compileVars,
  vars_regexp: compileVarsRegexp,
  expression: compileExpression,
  file: compileFile,
};

// Cheap matchers first: order inside a set does not change the result, except that regexp matchers record
// captures, which Caddy also does only when reached — so regexp/expression matchers keep their relative order last.
const COST: Record<string, number> = {
  method: 0,
  host: 1,
  path: 2,
  protocol: 2,
  header: 3,
  query: 3,
  remote_ip: 3,
  client_ip: 3,
};

/** All matchers of one set must match (AND). An empty set matches everything. */
export function compileMatcherSet(set: MatcherSetJSON, path = 'match'): Matcher {
  if (typeof set !== 'object' || set === null || Array.isArray(set))
    throw new Error(`${path}: a matcher set must be an object`);
  const ctx: MatcherCompileContext = { path, compileSets: (sets, p) => compileMatcherSets(sets, p) };
  const compiled = Object.entries(set)
    .map(([name, json]) => {
      const compile = MATCHERS[name];
      if (!compile)
        throw new Error(`${path}: unknown matcher module '${name}' (supported: ${Object.keys(MATCHERS).join(', ')})`);
      return { cost: COST[name] ?? 10, m: compile(json, { ...ctx, path: `${path}.${name}` }) };
    })
    .sort((a, b) => a.cost - b.cost)
    .map((x) => x.m);
  if (compiled.length === 0) return () => true;
  if (compiled.length === 1) return compiled[0];
  const all: Matcher = (c) => {
    for (const m of compiled) if (!m(c)) return false;
    return true;
  };
  return withPrepare(all, compiled);
}

/** Any set may match (OR); no sets (undefined or empty) = match all. */
export function compileMatcherSets(sets: MatcherSetJSON[] | unknown[] | undefined, path = 'match'): Matcher {
  if (!sets || sets.length === 0) return () => true;
  if (!Array.isArray(sets)) throw new Error(`${path}: matcher sets must be a list`);
  const compiled = sets.map((s, i) => compileMatcherSet(s as MatcherSetJSON, `${path}[${i}]`));
  if (compiled.length === 1) return compiled[0];
  return withPrepare((c) => compiled.some((m) => m(c)), compiled);
}
