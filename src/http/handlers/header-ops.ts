import { ConfigError } from '../../config/errors.ts';
import type { HeaderFields } from '../field-map.ts';
import { fieldValueTemplate, responseFieldValue } from '../field-value.ts';
import type { RequestContext, Template } from '../types.ts';
import { goRegexp, replaceAllGo } from './regexp.ts';
import { replaceKnown } from './tpl.ts';
import { checkFields, headerMap, isRecord, optRecord, optString, stringList } from './util.ts';

/** Compiled Caddy HeaderOps: applies add/set/delete/replace to a header map. */
export type HeaderOps = (headers: HeaderFields, ctx: RequestContext) => void;

interface Replacement {
  field: Template;
  all: boolean;
  search?: Template;
  regexp?: RegExp;
  /** A search_regexp containing placeholders is compiled per request, as Caddy does. */
  dynamicRegexp?: Template;
  replace: Template;
  clean: (v: string) => string;
}

/**
 * `cleanValue` decides what a value carrying CR, LF or NUL (from request data) becomes: by default what Go writes
 * into a response; the proxy's request fields pass upstreamFieldValue, which refuses it.
 */
export function compileHeaderOps(
  json: unknown,
  path: string,
  extraFields: readonly string[] = [],
  cleanValue: (v: string) => string = responseFieldValue,
): HeaderOps | undefined {
  const rec = optRecord(json, 'header ops', path);
  if (!rec) return undefined;
  checkFields(rec, ['add', 'set', 'delete', 'replace', ...extraFields], path, 'header ops');
  const value = (src: string) => fieldValueTemplate(src, replaceKnown(src), cleanValue);
  const add = headerMap(rec.add, 'add', path).map(([f, vs]) => [replaceKnown(f), vs.map(value)] as const);
  const set = headerMap(rec.set, 'set', path).map(([f, vs]) => [replaceKnown(f), vs.map(value)] as const);
  const deletes = stringList(rec.delete, 'delete', path);
  const deleteAll = deletes.includes('*');
  const otherDeletes = deletes.filter((d) => d !== '*').map(replaceKnown);
  const replacements: Replacement[] = [];
  const rrec = optRecord(rec.replace, 'replace', path) ?? {};
  for (const [field, list] of Object.entries(rrec)) {
    if (!Array.isArray(list)) throw new ConfigError(`replace.${field} must be a list`, path);
    for (const r of list) {
      if (!isRecord(r)) throw new ConfigError(`replace.${field} entries must be objects`, path);
      checkFields(r, ['search', 'search_regexp', 'replace'], path, `replace.${field}`);
      const search = optString(r.search, 'search', path);
      const searchRe = optString(r.search_regexp, 'search_regexp', path);
      if (search && searchRe) throw new ConfigError(`cannot specify both a substring search and a regular expression search for field '${field}'`, path);
      const rep: Replacement = { field: replaceKnown(field), all: field === '*', replace: replaceKnown(optString(r.replace, 'replace', path) ?? ''), clean: cleanValue };
      if (searchRe) {
        if (searchRe.includes('{')) rep.dynamicRegexp = replaceKnown(searchRe);
        else rep.regexp = goRegexp(searchRe, path, true);
      } else rep.search = replaceKnown(search ?? '');
      replacements.push(rep);
    }
  }
  if (!add.length && !set.length && !deletes.length && !replacements.length) return () => {};

  return (h, ctx) => {
    if (deleteAll) for (const name of headerNames(h)) h.delete(name);
    for (const [f, vs] of add) {
      const name = f(ctx);
      for (const v of vs) h.append(name, v(ctx));
    }
    for (const [f, vs] of set) h.set(f(ctx), vs.map((v) => v(ctx)).join(','));
    for (const d of otherDeletes) deleteField(h, d(ctx).toLowerCase());
    for (const r of replacements) applyReplacement(h, r, ctx);
  };
}

/** Deletes a field; `*sub*`, `*suffix` and `prefix*` patterns match names case-insensitively. */
function deleteField(h: HeaderFields, pattern: string): void {
  const lead = pattern.startsWith('*');
  const trail = pattern.endsWith('*') && pattern.length > 1;
  if (!lead && !trail) {
    h.delete(pattern);
    return;
  }
  const core = pattern.slice(lead ? 1 : 0, trail ? -1 : undefined);
  for (const name of headerNames(h)) {
    const hit = lead && trail ? name.includes(core) : lead ? name.endsWith(core) : name.startsWith(core);
    if (hit) h.delete(name);
  }
}

function applyReplacement(h: HeaderFields, r: Replacement, ctx: RequestContext): void {
  let re = r.regexp;
  if (r.dynamicRegexp) {
    try {
      re = goRegexp(r.dynamicRegexp(ctx), '', true);
    } catch {
      return; // Caddy skips a per-request regexp that does not compile
    }
  }
  const replace = r.replace(ctx);
  const search = r.search?.(ctx) ?? '';
  // The replacement may bring request data into the value (a placeholder, or `$1` of a regexp over one).
  const edit = (v: string) => r.clean(re ? replaceAllGo(v, re, replace) : v.split(search).join(replace));
  const names = r.all ? headerNames(h) : [r.field(ctx).toLowerCase()];
  for (const name of names) {
    if (name === 'set-cookie') {
      const cookies = h.getSetCookie();
      if (!cookies.length) continue;
      h.delete(name);
      for (const c of cookies) h.append(name, edit(c));
      continue;
    }
    const v = h.get(name);
    if (v !== null) h.set(name, edit(v));
  }
}

/** Field names present (lower-case, each once); Headers.keys() is not in every TS lib, forEach is. */
function headerNames(h: HeaderFields): string[] {
  const names = new Set<string>();
  h.forEach((_v, k) => names.add(k));
  return [...names];
}
