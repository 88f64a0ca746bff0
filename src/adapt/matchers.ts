import { Dispenser } from '../caddyfile/dispenser.ts';
import { parseError } from '../caddyfile/errors.ts';
import { isQuoted, type Token } from '../caddyfile/token.ts';
import type { MatcherSetJSON } from '../config/caddy-json.ts';
import { basicMatchers } from './matchers/basic.ts';
import { mapMatchers } from './matchers/maps.ts';
import { nextArg, rawText, sortedKeys, withText, type MatcherContext, type MatcherParser } from './matchers/util.ts';
import { pushAll } from '../util/push-all.ts';

/**
 * Request matchers in the Caddyfile: `@name` definitions, inline matcher tokens, and the per-type
 * parsers that turn a matcher's lines into the JSON `caddy adapt` prints.
 */

/**
 * expression `<cel…>`: one token is taken as the expression itself (quotes dropped) and records the named matcher's
 * name for regexp captures; several tokens are joined with their quotes kept (they may be CEL string literals).
 * Like Caddy, only the first `expression` line of a definition counts.
 */
function parseExpression(d: Dispenser, ctx: MatcherContext): string | { expr: string; name: string } {
  d.next();
  if (d.countRemainingArgs() > 1) return d.remainingArgTokens().map(rawText).join(' ');
  if (!nextArg(d)) throw d.argErr();
  const expr = d.val();
  return ctx.name ? { expr, name: ctx.name } : expr;
}

/** not `<matcher> <args…>` or `not { <matchers…> }`: each `not` line adds one set; none of them may match. */
function parseNot(d: Dispenser): MatcherSetJSON[] {
  const sets: MatcherSetJSON[] = [];
  while (d.next()) sets.push(parseNestedMatcherSet(d));
  return sets;
}

const matcherParsers: Record<string, MatcherParser> = {
  ...basicMatchers,
  ...mapMatchers,
  expression: parseExpression,
  not: parseNot,
};

/** Matcher type names the adapter can parse. */
export function isKnownMatcher(name: string): boolean {
  return Object.hasOwn(matcherParsers, name);
}

/** Parses every collected line of one matcher type, as Caddy's per-module UnmarshalCaddyfile does. */
function parseMatcher(matcherName: string, tokens: Token[], ctx: MatcherContext, at: Token): unknown {
  const parse = Object.hasOwn(matcherParsers, matcherName) ? matcherParsers[matcherName] : undefined;
  if (!parse) {
    throw parseError(
      at,
      `getting matcher module '${matcherName}': module not registered: http.matchers.${matcherName}`,
    );
  }
  return parse(new Dispenser(tokens), ctx);
}

/**
 * Groups matcher lines by type, reading from the current token: the rest of its line (one-line form) or its block.
 * Repeated types are concatenated so each type's parser sees all its lines and merges them. With `quotedIsExpression`,
 * a quoted token stands for `expression <token>` (Caddy allows that inside nested sets).
 */
function collectMatcherLines(d: Dispenser, quotedIsExpression: boolean): Map<string, { tokens: Token[]; at: Token }> {
  const byName = new Map<string, { tokens: Token[]; at: Token }>();
  const add = (name: string, at: Token, tokens: Token[]): void => {
    const entry = byName.get(name);
    if (entry) pushAll(entry.tokens, tokens);
    else byName.set(name, { tokens, at });
  };
  for (const nesting = d.nesting(); nextArg(d) || d.nextBlock(nesting); ) {
    const tok = d.token();
    if (quotedIsExpression && isQuoted(tok)) {
      add('expression', tok, [withText(tok, 'expression'), tok]);
      continue;
    }
    add(d.val(), tok, d.nextSegment());
  }
  return byName;
}

function buildSet(lines: Map<string, { tokens: Token[]; at: Token }>, ctx: MatcherContext): MatcherSetJSON {
  const set: MatcherSetJSON = {};
  for (const [name, { tokens, at }] of lines) set[name] = parseMatcher(name, tokens, ctx, at);
  return sortedKeys(set);
}

/**
 * A matcher set written after a token that introduces it (`not`, `lb_retry_match`, a `match` block…): either the
 * rest of the line (`not path /a`) or a block (`not { … }`). The cursor must be on the introducing token; it ends
 * on the set's last token. Regexp matchers here get no default name (as in Caddy).
 */
export function parseNestedMatcherSet(d: Dispenser): MatcherSetJSON {
  return buildSet(collectMatcherLines(d, true), { name: '' });
}

/**
 * One `@name …` definition (a segment whose first token is `@name`): the one-line form `@name path /a /b`, the
 * block form `@name { … }`, or the expression shorthand `@name "<cel>"` / ``@name `<cel>` ``. The dispenser may be
 * fresh (before `@name`) or on `@name`. Checking for duplicate names is the caller's job (it knows the scope).
 */
export function parseNamedMatcherBlock(d: Dispenser): MatcherSetJSON {
  if (!d.val().startsWith('@')) d.next();
  const ctx: MatcherContext = { name: d.val().slice(1) };
  if (nextArg(d)) {
    const tok = d.token();
    if (isQuoted(tok)) {
      return { expression: parseMatcher('expression', [withText(tok, 'expression'), tok], ctx, tok) };
    }
    d.prev();
  }
  return buildSet(collectMatcherLines(d, false), ctx);
}

/**
 * The matcher a directive's first argument stands for (Caddy's matcherSetFromMatcherToken): `*` → null (match
 * everything), `/path` → a single path matcher, `@name` → that definition (error if not defined here); any other
 * token is not a matcher → undefined.
 */
export function matcherSetFromToken(
  tok: Token,
  defs: Record<string, MatcherSetJSON>,
): MatcherSetJSON | null | undefined {
  if (tok.text === '*') return null;
  if (tok.text.startsWith('/')) return { path: [tok.text] };
  if (tok.text.startsWith('@')) {
    if (!Object.hasOwn(defs, tok.text)) throw parseError(tok, `unrecognized matcher name: ${tok.text}`);
    // a copy, so that later changes to one route's matchers cannot leak into other users of the definition
    return structuredClone(defs[tok.text]);
  }
  return undefined;
}

/**
 * Splits a block's segments into its `@name` definitions and its directives (Caddy collects definitions first, so a
 * matcher may be defined after the line using it). Definitions extend a copy of the outer scope's; re-defining a
 * name that is already visible is an error.
 */
export function defineMatchers(
  segments: Token[][],
  outer: Record<string, MatcherSetJSON> = {},
): { defs: Record<string, MatcherSetJSON>; directives: Token[][] } {
  const defs: Record<string, MatcherSetJSON> = { ...outer };
  const directives: Token[][] = [];
  for (const seg of segments) {
    const first = seg[0];
    if (!first?.text.startsWith('@')) {
      directives.push(seg);
      continue;
    }
    if (Object.hasOwn(defs, first.text)) throw parseError(first, `matcher is defined more than once: ${first.text}`);
    defs[first.text] = parseNamedMatcherBlock(new Dispenser(seg));
  }
  return { defs, directives };
}
