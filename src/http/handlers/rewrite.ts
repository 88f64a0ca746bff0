import { ConfigError } from '../../config/errors.ts';
import { escapedPathOf, isSlashless, setSlashless } from '../placeholders/request.ts';
import type { RequestContext, Template } from '../types.ts';
import { goRegexp, replaceAllGo } from './regexp.ts';
import { replaceRequest } from './request.ts';
import { thenNext } from './then-next.ts';
import { replaceAll, replaceKnown } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkFields, checkHandler, isRecord, optNumber, optRecord, optString } from './util.ts';
import {
  cleanPath,
  encodeQuery,
  parseQuery,
  queryEscape,
  replaceN,
  splitPlaceholders,
  trimPathPrefix,
  trimPathSuffix,
} from './uri.ts';

type UrlEdit = (url: URL, ctx: RequestContext) => void;

/**
 * `rewrite` (rewrite, uri, method): changes the request in place, so later matchers and handlers see the new URI;
 * {http.request.orig_*} keep the original. Operations run in Caddy's fixed order.
 */
export const compileRewrite: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(
    json,
    ['method', 'uri', 'strip_path_prefix', 'strip_path_suffix', 'uri_substring', 'path_regexp', 'query'],
    path,
  );
  const edits: UrlEdit[] = [];
  const methodSrc = optString(json.method, 'method', path);
  const method = methodSrc ? replaceAll(methodSrc) : undefined;
  const uri = optString(json.uri, 'uri', path);
  if (uri) edits.push(compileUri(uri));
  const prefix = optString(json.strip_path_prefix, 'strip_path_prefix', path);
  if (prefix) {
    const t = replaceAll(prefix);
    edits.push((url, ctx) => {
      let p = t(ctx);
      if (!p.startsWith('/')) p = `/${p}`;
      setEditedPath(url, trimPathPrefix(cleanPath(escapedPathOf(url), !p.includes('//')), p));
    });
  }
  const suffix = optString(json.strip_path_suffix, 'strip_path_suffix', path);
  if (suffix) {
    const t = replaceAll(suffix);
    edits.push((url, ctx) => {
      const s = t(ctx);
      setEditedPath(url, trimPathSuffix(cleanPath(escapedPathOf(url), !s.includes('//')), s));
    });
  }
  for (const [i, r] of list(json.uri_substring, 'uri_substring', path).entries()) {
    checkFields(r, ['find', 'replace', 'limit'], path, `uri_substring[${i}]`);
    const findSrc = optString(r.find, 'find', path) ?? '';
    if (!findSrc) continue;
    const find = replaceAll(findSrc);
    const repl = replaceAll(optString(r.replace, 'replace', path) ?? '');
    const limit = optNumber(r.limit, 'limit', path) || -1;
    const merge = !findSrc.includes('//');
    edits.push((url, ctx) => {
      const f = find(ctx);
      const to = repl(ctx);
      setEditedPath(url, replaceN(cleanPath(escapedPathOf(url), merge), f, to, limit));
      const q = url.search.slice(1);
      if (q) url.search = replaceN(q, f, to, limit);
    });
  }
  for (const [i, r] of list(json.path_regexp, 'path_regexp', path).entries()) {
    checkFields(r, ['find', 'replace'], path, `path_regexp[${i}]`);
    const find = optString(r.find, 'find', path) ?? '';
    if (!find) continue;
    const re = goRegexp(find, `${path}.path_regexp[${i}]`, true);
    const repl = replaceAll(optString(r.replace, 'replace', path) ?? '');
    edits.push((url, ctx) => setEditedPath(url, replaceAllGo(escapedPathOf(url), re, repl(ctx))));
  }
  if (json.query !== undefined) edits.push(compileQueryOps(json.query, `${path}.query`));

  return thenNext((ctx) => {
    const newMethod = method?.(ctx).toUpperCase();
    if (edits.length) {
      const url = new URL(ctx.url);
      if (isSlashless(ctx.url)) setSlashless(url, true);
      for (const e of edits) e(url, ctx);
      replaceRequest(ctx, url, newMethod ? { method: newMethod } : {});
    } else if (newMethod) replaceRequest(ctx, new URL(ctx.url), { method: newMethod });
  });
};

function list(v: unknown, what: string, path: string): Record<string, unknown>[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isRecord)) throw new ConfigError(`${what} must be a list of objects`, path);
  return v;
}

function setEscapedPath(url: URL, escaped: string): void {
  url.pathname = escaped === '' ? '/' : escaped;
  setSlashless(url, false);
}

/**
 * Writes what a path edit (strip_prefix, strip_suffix, substring, path_regexp) left, as Go keeps it: `fix/a` or ``
 * when the edit removed the leading `/`, which the URL can only hold with one.
 */
function setEditedPath(url: URL, escaped: string): void {
  url.pathname = escaped;
  setSlashless(url, !escaped.startsWith('/'));
}

/** `uri`: replaces only the components present in the target (path, ?query, #fragment). */
function compileUri(uri: string): UrlEdit {
  const q = uri.indexOf('?');
  const h = uri.indexOf('#');
  const qsStart = q >= 0 && (h < 0 || q < h) ? q : -1;
  const pathEnd = qsStart >= 0 ? qsStart : h >= 0 ? h : uri.length;
  const pathSrc = uri.slice(0, pathEnd);
  const querySrc = qsStart >= 0 ? uri.slice(qsStart + 1, h > qsStart ? h : uri.length) : undefined;
  const fragSrc = h >= 0 ? uri.slice(h + 1) : undefined;

  // {http.request.uri.path} goes in escaped form, so an encoded slash in the current path survives the rewrite.
  const pathParts = pathSrc.split('{http.request.uri.path}').map(replaceAll);
  const queryT = querySrc ? compileQueryTemplate(querySrc) : undefined;
  const fragT = fragSrc ? replaceAll(fragSrc) : undefined;
  return (url, ctx) => {
    let newPath = pathSrc ? pathParts.map((t) => t(ctx)).join(escapedPathOf(url)) : '';
    let query = queryT ? queryT(ctx) : '';
    const cut = newPath.indexOf('?');
    if (cut >= 0) {
      const injected = newPath.slice(cut + 1);
      newPath = newPath.slice(0, cut);
      // A query injected by a placeholder is used only when the target had none; it is not expanded again.
      if (!querySrc) query = injected;
    }
    if (pathSrc) setEscapedPath(url, newPath);
    if (querySrc !== undefined || (cut >= 0 && query)) url.search = query;
    if (fragSrc !== undefined) url.hash = fragT ? fragT(ctx) : '';
  };
}

/**
 * A query template: each key/value component is expanded with its placeholder values query-escaped, except
 * {http.request.uri.query} in key position (already escaped), which is how `?{query}&a=b` appends.
 */
function compileQueryTemplate(qs: string): Template {
  const comps: Array<{ key: boolean; pieces: Array<string | Template>; raw: boolean[] }> = [];
  let rest = qs;
  let wroteVal = true;
  while (rest.length > 0) {
    const eq = rest.indexOf('=');
    const amp = rest.indexOf('&');
    const ampNext = amp >= 0 && (amp < eq || eq < 0);
    let end = rest.length;
    if (ampNext) end = amp;
    else if (eq >= 0) end = eq;
    const pieces: Array<string | Template> = [];
    const raw: boolean[] = [];
    for (const p of splitPlaceholders(rest.slice(0, end))) {
      if ('text' in p) {
        pieces.push(p.text);
        raw.push(true);
      } else {
        pieces.push(replaceAll(`{${p.placeholder}}`));
        raw.push(wroteVal && p.placeholder === 'http.request.uri.query');
      }
    }
    comps.push({ key: wroteVal, pieces, raw });
    rest = rest.slice(end < rest.length ? end + 1 : end);
    wroteVal = ampNext;
  }
  return (ctx) => {
    let out = '';
    for (const c of comps) {
      let s = '';
      c.pieces.forEach((p, i) => {
        if (typeof p === 'string') s += p;
        else s += c.raw[i] ? p(ctx) : queryEscape(p(ctx));
      });
      if (c.key) {
        if (out.length > 0 && s.length > 0) out += '&';
      } else out += '=';
      out += s;
    }
    return out;
  };
}

interface KeyVal {
  key: Template;
  val: Template;
}

/** `query` ops: rename → set → add → replace → delete, then re-encoded with sorted keys. */
function compileQueryOps(json: unknown, path: string): UrlEdit {
  const rec = optRecord(json, 'query', path) ?? {};
  checkFields(rec, ['rename', 'set', 'add', 'replace', 'delete'], path, 'query');
  const kv = (name: string): KeyVal[] =>
    list(rec[name], name, path).map((r) => {
      checkFields(r, ['key', 'val'], path, `query.${name}`);
      return {
        key: replaceAll(optString(r.key, 'key', path) ?? ''),
        val: replaceAll(optString(r.val, 'val', path) ?? ''),
      };
    });
  const rename = kv('rename');
  const set = kv('set');
  const add = kv('add');
  const replace = list(rec.replace, 'replace', path).map((r, i) => {
    checkFields(r, ['key', 'search', 'search_regexp', 'replace'], path, `query.replace[${i}]`);
    const re = optString(r.search_regexp, 'search_regexp', path);
    return {
      key: replaceAll(optString(r.key, 'key', path) ?? ''),
      search: replaceKnown(optString(r.search, 'search', path) ?? ''),
      re: re ? goRegexp(re, path, true) : undefined,
      replace: replaceKnown(optString(r.replace, 'replace', path) ?? ''),
    };
  });
  const del = (Array.isArray(rec.delete) ? rec.delete : []).map((d) => replaceAll(String(d)));

  return (url, ctx) => {
    const q = parseQuery(url.search.slice(1));
    for (const r of rename) {
      const from = r.key(ctx);
      const to = r.val(ctx);
      if (!from || !to || from === to || !q.has(from)) continue;
      q.set(to, q.get(from) ?? []);
      q.delete(from);
    }
    for (const s of set) {
      const k = s.key(ctx);
      if (k) q.set(k, [s.val(ctx)]);
    }
    for (const a of add) {
      const k = a.key(ctx);
      if (k) q.set(k, [...(q.get(k) ?? []), a.val(ctx)]);
    }
    for (const r of replace) {
      const k = r.key(ctx);
      const search = r.search(ctx);
      const to = r.replace(ctx);
      const edit = (v: string) => (r.re ? replaceAllGo(v, r.re, to) : replaceN(v, search, to, -1));
      for (const [key, vals] of q) if (k === '*' || k === key) q.set(key, vals.map(edit));
    }
    for (const d of del) {
      const k = d(ctx);
      if (k) q.delete(k);
    }
    url.search = encodeQuery(q);
  };
}

export const rewriteHandler: HandlerModule = { name: 'rewrite', compile: compileRewrite };
