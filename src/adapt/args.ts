import type { Dispenser } from '../caddyfile/dispenser.ts';
import { parseDurationNs } from '../util/duration.ts';

// Argument readers shared by the adapter's directive and option parsers. Caddy words a bad value differently at
// each place it parses one, so the callers pass the wording; the reading and the Caddyfile position live here.

/** Caddy's NextArg: the next argument on the line; an unquoted `{` opens a block and is not an argument. */
export function nextArg(d: Dispenser): boolean {
  if (!d.nextArg()) return false;
  if (d.val() === '{' && !d.quoted()) {
    d.prev();
    return false;
  }
  return true;
}

/** The next argument on the line, or Caddy's wrong-argument-count error. */
export function requireArg(d: Dispenser): string {
  if (!d.nextArg()) throw d.argErr();
  return d.val();
}

/** A Go duration (Caddy's `d` day unit too) in nanoseconds; otherwise an error worded by `message`. */
export function durationArg(d: Dispenser, text: string, message: (text: string) => string): number {
  const ns = parseDurationNs(text);
  if (ns === undefined) throw d.err(message(text));
  return ns;
}

/** A base-10 integer, optionally signed; otherwise an error worded by `message`. */
export function intArg(d: Dispenser, text: string, message: (text: string) => string): number {
  if (!/^[+-]?\d+$/.test(text)) throw d.err(message(text));
  return Number(text);
}
