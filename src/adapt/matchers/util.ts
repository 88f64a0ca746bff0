import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { isQuoted, type Token } from '../../caddyfile/token.ts';
import { nextArg } from '../args.ts';

/**
 * Context a matcher parser gets besides its tokens: the named matcher's name without `@` (Caddy passes it so regexp
 * matchers can default their capture name to it); empty inside nested sets such as `not { … }`.
 */
export interface MatcherContext {
  name: string;
}

/**
 * Parses the concatenated segments of one matcher type (every `path …` line of a definition, say) into that
 * matcher's JSON. Each parser loops `while (d.next())` once per segment, which is how repeated lines merge.
 */
export type MatcherParser = (d: Dispenser, ctx: MatcherContext) => unknown;

// The project Dispenser's nextArg does not roll back on `{`; matcher code uses Caddy's NextArg from args.ts.
export { nextArg };

/** Caddy's Args: loads `n` arguments, or returns undefined as soon as one is missing. */
export function args(d: Dispenser, n: number): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (!nextArg(d)) return undefined;
    out.push(d.val());
  }
  return out;
}

/** Caddy's ValRaw: a quoted token's text with its quotes put back (heredocs stay bare). */
export function rawText(t: Token): string {
  if (t.quote === '"' || t.quote === '`') return t.quote + t.text + t.quote;
  return t.text;
}

/** A token with the same provenance as `t` but other text (Caddy clones tokens for synthetic ones). */
export function withText(t: Token, text: string): Token {
  return { ...t, text, quote: '' };
}

export function isOpenBrace(t: Token): boolean {
  return t.text === '{' && !isQuoted(t);
}

/** Go marshals maps with sorted keys; matcher maps are built in insertion order, so sort them for output. */
export function sortedKeys<T>(obj: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out;
}

export { canonicalHeaderKey } from '../../util/go-header-key.ts';
