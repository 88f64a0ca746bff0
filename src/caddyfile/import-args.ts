import type { Token } from './token.ts';
import { isDigits } from '../util/digits.ts';

/**
 * Import arguments: `{args[N]}` anywhere in a token, the older `{args.N}`, and the variadic
 * `{args[a:b]}` which must be a whole token and becomes one token per argument. Placeholders that are out of range
 * or malformed stay as written, as in Caddy.
 */

const ARG_PLACEHOLDER = /\{(args(?:\.[^{}]+|\[[^{}]+\]))\}/g;

/** Replaces `{args[N]}` / `{args.N}` inside a token's text. */
export function replaceArgs(text: string, args: string[]): string {
  if (!text.includes('{args')) return text;
  return text.replace(ARG_PLACEHOLDER, (whole, key: string) => {
    const index = key.startsWith('args.') ? key.slice(5) : key.slice(5, -1);
    if (!isDigits(index)) return whole;
    const n = Number(index);
    return n < args.length ? args[n] : whole;
  });
}

/** The `[start, end)` range of a whole-token `{args[a:b]}`, or undefined if the token is not a valid one. */
export function variadicRange(token: Token, argCount: number): [number, number] | undefined {
  const text = token.text;
  if (!text.startsWith('{args[') || !text.endsWith(']}')) return undefined;
  const range = text.slice(6, -2);
  const colon = range.indexOf(':');
  if (colon < 0) return undefined;
  const start = range.slice(0, colon);
  const end = range.slice(colon + 1);
  if (start.includes('}') || end.includes('{')) return undefined;
  const from = start === '' ? 0 : parseIndex(start);
  const to = end === '' ? argCount : parseIndex(end);
  if (from === undefined || to === undefined) return undefined;
  if (from < 0 || from > to || to > argCount) return undefined;
  return [from, to];
}

function parseIndex(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}
