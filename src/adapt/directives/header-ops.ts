import { canonicalHeaderKey } from '../matchers/util.ts';

/**
 * Building Caddy's header operations (`headers` handler JSON) from `[<op>]<field> [<value>] [<replacement>]` lines,
 * shared by `header`, `request_header` and reverse_proxy's header_up/header_down. Pure: no Caddyfile access.
 */

export interface ReplacementJSON {
  search?: string;
  search_regexp?: string;
  replace?: string;
}

/** Caddy's HeaderOps; fields are added in Go struct order (add, set, delete, replace) when serialized. */
export interface HeaderOpsJSON {
  add?: Record<string, string[]>;
  set?: Record<string, string[]>;
  delete?: string[];
  replace?: Record<string, ReplacementJSON[]>;
}

/** Response matcher (`require`): status codes (a 1-digit entry means a class, 2 = 2xx) and header conditions. */
export interface ResponseMatcherJSON {
  status_code?: number[];
  headers?: Record<string, string[] | null>;
}

/** Caddy's RespHeaderOps: header ops plus the condition and deferral that only apply to responses. */
export interface RespHeaderOpsJSON extends HeaderOpsJSON {
  require?: ResponseMatcherJSON;
  deferred?: boolean;
}

/** Go's http.Header.Add: appends under the canonical key. */
function headerAdd(h: Record<string, string[]>, field: string, value: string): void {
  const k = canonicalHeaderKey(field);
  (h[k] ??= []).push(value);
}

/** Go's http.Header.Set: replaces all values under the canonical key. */
function headerSet(h: Record<string, string[]>, field: string, value: string): void {
  h[canonicalHeaderKey(field)] = [value];
}

/**
 * Applies one Caddyfile header line to `ops` (Caddy's applyHeaderOp). `resp` is the response ops when the line is
 * for response headers (then `?` and deferral are allowed), undefined for request headers. Throws an Error whose
 * message is Caddy's; callers wrap it as a parse error at the current token.
 */
export function applyHeaderOp(
  ops: HeaderOpsJSON,
  resp: RespHeaderOpsJSON | undefined,
  field: string,
  value: string,
  replacement: string | undefined,
): void {
  if (field.startsWith('+')) {
    headerAdd((ops.add ??= {}), field.slice(1), value);
  } else if (field.startsWith('-')) {
    (ops.delete ??= []).push(field.slice(1));
    if (resp) resp.deferred = true;
  } else if (field.startsWith('?')) {
    if (!resp) {
      throw new Error(
        `${field}: the default header modifier ('?') can only be used on response headers; ` +
          'for conditional manipulation of request headers, use matchers',
      );
    }
    const name = field.slice(1);
    const require = (resp.require ??= {});
    (require.headers ??= {})[name] = null;
    headerSet((ops.set ??= {}), name, value);
  } else if (replacement !== undefined) {
    if (field.startsWith('>') && resp) resp.deferred = true;
    const name = field.replace(/^[+\-?>]+/, '');
    ((ops.replace ??= {})[name] ??= []).push({ search_regexp: value, replace: replacement });
  } else if (field.startsWith('>')) {
    headerSet((ops.set ??= {}), field.slice(1), value);
    if (resp) resp.deferred = true;
  } else {
    headerSet((ops.set ??= {}), field, value);
  }
}

function sorted<T>(obj: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!obj) return undefined;
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out;
}

/** The ops as Go marshals them: struct field order, map keys sorted, empty fields omitted. */
export function headerOpsJSON(ops: HeaderOpsJSON): HeaderOpsJSON {
  const out: HeaderOpsJSON = {};
  if (ops.add && Object.keys(ops.add).length) out.add = sorted(ops.add);
  if (ops.set && Object.keys(ops.set).length) out.set = sorted(ops.set);
  if (ops.delete?.length) out.delete = ops.delete;
  if (ops.replace && Object.keys(ops.replace).length) out.replace = sorted(ops.replace);
  return out;
}

export function respHeaderOpsJSON(ops: RespHeaderOpsJSON): RespHeaderOpsJSON {
  const out: RespHeaderOpsJSON = headerOpsJSON(ops);
  if (ops.require) {
    const r: ResponseMatcherJSON = {};
    if (ops.require.status_code) r.status_code = ops.require.status_code;
    if (ops.require.headers) r.headers = sorted(ops.require.headers);
    out.require = r;
  }
  if (ops.deferred) out.deferred = true;
  return out;
}

/** True when nothing was set (Caddy drops a handler that equals a fresh one). */
export function isEmptyRespOps(ops: RespHeaderOpsJSON): boolean {
  return !ops.add && !ops.set && !ops.delete && !ops.replace && !ops.require && !ops.deferred;
}
