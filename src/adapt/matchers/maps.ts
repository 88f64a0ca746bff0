import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { regexpJSON, type RegexpJSON } from './basic.ts';
import { args, canonicalHeaderKey, nextArg, sortedKeys, type MatcherContext, type MatcherParser } from './util.ts';
import { pushAll } from '../../util/push-all.ts';

/**
 * header `<field> <value>` / `header !<field>`: values for one field are OR-ed, fields AND-ed. Values go in
 * under the canonical field name (Go's Header.Add); `!field` stores JSON null under the name as written.
 */
function parseHeader(d: Dispenser): Record<string, string[] | null> {
  const m: Record<string, string[] | null> = {};
  while (d.next()) {
    const f = args(d, 1);
    if (!f) throw d.err('malformed header matcher: expected field');
    const field = f[0];
    if (field.startsWith('!')) {
      if (field.length === 1) throw d.err('malformed header matcher: must have field name following ! character');
      m[field.slice(1)] = null;
      if (nextArg(d)) throw d.err('malformed header matcher: null matching headers cannot have a field value');
    } else {
      if (!nextArg(d)) throw d.err('malformed header matcher: expected both field and value');
      const key = canonicalHeaderKey(field);
      m[key] = [...(m[key] ?? []), d.val()];
    }
    if (d.nextBlock(0)) throw d.err('malformed header matcher: blocks are not supported');
  }
  return sortedKeys(m);
}

/**
 * The `[<name>] <key> <regexp>` line shared by header_regexp and vars_regexp; the name defaults to the named
 * matcher's. Returns undefined after reading a line with too few arguments (caller raises ArgErr).
 */
function regexpLine(d: Dispenser, ctx: MatcherContext): { key: string; re: RegexpJSON } | undefined {
  const first = args(d, 2);
  if (!first) return undefined;
  const third = args(d, 1);
  const [name, key, pattern] = third ? [first[0], first[1], third[0]] : ['', first[0], first[1]];
  return { key, re: regexpJSON(name || ctx.name, pattern) };
}

/** header_regexp `[<name>] <field> <regexp>`: one pattern per field per named matcher (field kept as written). */
function parseHeaderRegexp(d: Dispenser, ctx: MatcherContext): Record<string, RegexpJSON> {
  const m: Record<string, RegexpJSON> = {};
  while (d.next()) {
    const line = regexpLine(d, ctx);
    if (!line) throw d.argErr();
    if (m[line.key]) {
      throw d.err(`header_regexp matcher can only be used once per named matcher, per header field: ${line.key}`);
    }
    m[line.key] = line.re;
    if (d.nextBlock(0)) throw d.err('malformed header_regexp matcher: blocks are not supported');
  }
  return sortedKeys(m);
}

/** vars_regexp `[<name>] <var|{placeholder}> <regexp>`: a later line for the same key replaces the earlier one. */
function parseVarsRegexp(d: Dispenser, ctx: MatcherContext): Record<string, RegexpJSON> {
  const m: Record<string, RegexpJSON> = {};
  while (d.next()) {
    const line = regexpLine(d, ctx);
    if (!line) throw d.argErr();
    m[line.key] = line.re;
    if (d.nextBlock(0)) throw d.err('malformed vars_regexp matcher: blocks are not supported');
  }
  return sortedKeys(m);
}

/** query `<key>=<value>…`: values for one key OR-ed, keys AND-ed; no pairs at all = "no query string". */
function parseQuery(d: Dispenser): Record<string, string[]> {
  const m: Record<string, string[]> = {};
  while (d.next()) {
    for (const pair of d.remainingArgs()) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      // Caddy names the line's last token here (its cursor has moved past the bad pair); keep its message.
      if (eq < 0) throw d.err(`malformed query matcher token: ${d.val()}; must be in param=val format`);
      const key = pair.slice(0, eq);
      (m[key] ??= []).push(pair.slice(eq + 1));
    }
    if (d.nextBlock(0)) throw d.err('malformed query matcher: blocks are not supported');
  }
  return sortedKeys(m);
}

/** vars `<var|{placeholder}> <values…>`: values for one key accumulate across lines. */
function parseVars(d: Dispenser): Record<string, string[]> {
  const m: Record<string, string[]> = {};
  while (d.next()) {
    const f = args(d, 1);
    if (!f) throw d.err('malformed vars matcher: expected field name');
    const vals = d.remainingArgs();
    if (!vals.length) throw d.err('malformed vars matcher: expected at least one value to match against');
    pushAll((m[f[0]] ??= []), vals);
    if (d.nextBlock(0)) throw d.err('malformed vars matcher: blocks are not supported');
  }
  return sortedKeys(m);
}

export const mapMatchers: Record<string, MatcherParser> = {
  header: parseHeader,
  header_regexp: parseHeaderRegexp,
  query: parseQuery,
  vars: parseVars,
  vars_regexp: parseVarsRegexp,
};
