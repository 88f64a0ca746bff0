import { ConfigError } from '../../config/errors.ts';
import type { HeaderFields } from '../field-map.ts';
import { fieldNameTemplate, fieldValueTemplate, responseFieldValue, upstreamFieldValue } from '../field-value.ts';
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
 * `target` decides what a name or value built from request data that a field cannot carry becomes: for a response
 * (and the request handlers see), what Go writes (a value's CR/LF as spaces, a field with an invalid name left
 * out); for the proxy's upstream request, an error, as Go's transport refuses to send it (the proxy's 502).
 */
export function compileHeaderOps(
  json: unknown,
  path: string,
  extraFields: readonly string[] = [],
  target: 'response' | 'upstream' = 'response',
): HeaderOps | undefined {
  const rec = optRecord(json, 'header ops', path);
  if (!rec) return undefined;
  checkFields(rec, ['add', 'set', 'delete', 'replace', ...extraFields], path, 'header ops');
  const cleanValue = target === 'upstream' ? upstreamFieldValue : responseFieldValue;
  const value = (src: string) => fieldValueTemplate(src, replaceKnown(src), cleanValue);
  // An invalid name comes out empty: the op is skipped (a write bound upstream fails instead).
  const name = (src: string) => fieldNameTemplate(src, replaceKnown(src));
  const add = headerMap(rec.add, 'add', path).map(([f, vs]) => [name(f), vs.map(value)] as const);
  const set = headerMap(rec.set, 'set', path).map(([f, vs]) => [name(f), vs.map(value)] as const);
  const deletes = stringList(rec.delete, 'delete', path);
  const deleteAll = deletes.includes('*');
  const otherDeletes = deletes.filter((d) => d !== '*').map(name);
  const writeName = (ctx: RequestContext, f: Template): string => {
    const n = f(ctx);
    if (n === '' && target === 'upstream') throw new TypeError('net/http: invalid header field name');
    return n;
  };
  const replacements: Replacement[] = [];
  const rrec = optRecord(rec.replace, 'replace', path) ?? {};
  for (const [field, list] of Object.entries(rrec)) {
    if (!Array.isArray(list)) throw new ConfigError(`replace.${field} must be a list`, path);
    for (const r of list) {
      if (!isRecord(r)) throw new ConfigError(`replace.${field} entries must be objects`, path);
      checkFields(r, ['search', 'search_regexp', 'replace'], path, `replace.${field}`);
      const search = optString(r.search, 'search', path);
      const searchRe = optString(r.search_regexp, 'search_regexp', path);
      if (search && searchRe)
        throw new ConfigError(
          `cannot specify both a substring search and a regular expression search for field '${field}'`,
          path,
        );
      const rep: Replacement = {
        field: name(field),
        all: field === '*',
        replace: replaceKnown(optString(r.replace, 'replace', path) ?? ''),
        clean: cleanValue,
      };
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
      const n = writeName(ctx, f);
      if (n !== '') for (const v of vs) h.append(n, v(ctx));
    }
    for (const [f, vs] of set) {
      const n = writeName(ctx, f);
      if (n !== '') h.set(n, vs.map((v) => v(ctx)).join(','));
    }
    for (const d of otherDeletes) {
      const n = d(ctx);
      if (n !== '') deleteField(h, n.toLowerCase());
    }
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
  const field = r.all ? '' : r.field(ctx);
  if (!r.all && field === '') return;
  const names = r.all ? headerNames(h) : [field.toLowerCase()];
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
  h.forEach((_v, k) => {
    names.add(k);
  });
  return [...names];
}
