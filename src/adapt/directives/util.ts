import type { Dispenser } from '../../caddyfile/dispenser.ts';
import type { ConfigValue, Helper } from '../helper.ts';
import { nextArg } from '../matchers/util.ts';

/**
 * Small helpers shared by the handler directives: Caddy's Dispenser conveniences that the project Dispenser leaves
 * to callers, and Go's JSON conventions (WeakString, ScalarVal) that `caddy adapt` output depends on.
 */

export { nextArg };

/** Caddy's AllArgs: the rest of the line must be exactly `n` arguments. */
export function allArgs(d: Dispenser, n: number): string[] | undefined {
  const got = d.remainingArgs();
  return got.length === n ? got : undefined;
}

/** Caddy's WeakString in JSON: an integer string is printed as a number, anything else as a string. */
export function weakString(s: string): number | string {
  return /^[+-]?[0-9]+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : s;
}

/** Go's strconv.Atoi, or undefined when the text is not a base-10 integer. */
export function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The directive names that were accepted but do nothing at the edge (e.g. tls); the adapter reports them. */
export const IGNORED_STATE_KEY = 'ignored';

export function recordIgnored(h: Helper, name: string): void {
  let set = h.state.get(IGNORED_STATE_KEY) as Set<string> | undefined;
  if (!set) {
    set = new Set<string>();
    h.state.set(IGNORED_STATE_KEY, set);
  }
  set.add(name);
}

/**
 * Caddy's ScalarVal for `vars`/`map` outputs: quoted text stays a string; otherwise an integer, a float or a
 * boolean is typed (Go's ParseInt/ParseFloat/ParseBool), and anything else is a string.
 */
export function scalarVal(text: string, quoted: boolean): string | number | boolean {
  if (quoted) return text;
  if (/^[+-]?[0-9]+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return text;
}

export type { ConfigValue };
