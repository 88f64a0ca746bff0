import type { RequestContext } from '../types.ts';

// Request facts shared by the placeholders and the matchers, in Go's net/http terms (req.Host, req.URL.Path, …)
// computed from the Workers Request/URL.

/** Go's net.SplitHostPort, tolerant: returns [host, ''] when there is no port; strips IPv6 brackets. */
export function splitHostPort(hostport: string): [string, string] {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return [hostport, ''];
    const rest = hostport.slice(close + 1);
    return [hostport.slice(1, close), rest.startsWith(':') ? rest.slice(1) : ''];
  }
  const colon = hostport.lastIndexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon < 0 || hostport.indexOf(':') !== colon) return [hostport, ''];
  return [hostport.slice(0, colon), hostport.slice(colon + 1)];
}

/** req.Host: the Host header as sent (Request objects built in code may lack it, then the URL's host). */
export function requestHostport(ctx: RequestContext): string {
  // Host matchers of every route ask for it; a Request's headers never change (handlers replace the Request).
  if (lastHost.request !== ctx.request || lastHost.url !== ctx.url) {
    lastHost.value = ctx.request.headers.get('host') ?? ctx.url.host;
    lastHost.host = undefined;
    lastHost.request = ctx.request;
    lastHost.url = ctx.url;
  }
  return lastHost.value;
}
const lastHost: { request?: Request; url?: URL; value: string; host?: string } = { value: '' };

/** Hands requestHostport the Host field the Worker entry already read (null: absent), saving a runtime call. */
export function primeRequestHost(request: Request, url: URL, field: string | null): void {
  lastHost.value = field ?? url.host;
  lastHost.host = undefined;
  lastHost.request = request;
  lastHost.url = url;
}

/**
 * One request header, as Headers.get returns it (repeated fields joined with ", "), memoised per Request: a
 * config with many `header` matchers on the same field asks for it once per route, and each get() crosses into
 * the runtime. `lower` must be lower case.
 */
export function requestField(ctx: RequestContext, lower: string): string | null {
  if (lastFields.request !== ctx.request) {
    lastFields.request = ctx.request;
    lastFields.values.clear();
  }
  let v = lastFields.values.get(lower);
  if (v === undefined) {
    v = ctx.request.headers.get(lower);
    lastFields.values.set(lower, v);
  }
  return v;
}
const lastFields: { request?: Request; values: Map<string, string | null> } = { values: new Map() };

/** Host without port, brackets stripped. */
export function requestHost(ctx: RequestContext): string {
  const hostport = requestHostport(ctx);
  return (lastHost.host ??= hostOf(hostport));
}

/** splitHostPort's host, without the pair: host matchers ask for it on every request. */
function hostOf(hostport: string): string {
  if (hostport.startsWith('[')) return splitHostPort(hostport)[0];
  const colon = hostport.lastIndexOf(':');
  return colon < 0 || hostport.indexOf(':') !== colon ? hostport : hostport.slice(0, colon);
}

/** Percent-decodes a path like Go's url.PathUnescape (%2F becomes `/`); malformed escapes leave the input as is. */
export function decodePath(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * URLs whose path has no leading `/`, which Go allows (`uri strip_prefix /pre` on `/prefix` leaves `fix`) and a WHATWG
 * URL cannot hold: their pathname carries a `/` that is not part of the path.
 */
const slashless = new WeakSet<URL>();

/** Records that `url`'s path is its pathname without the leading `/`, or that it is not (`on` false). */
export function setSlashless(url: URL, on: boolean): void {
  if (on) slashless.add(url);
  else slashless.delete(url);
}

export function isSlashless(url: URL): boolean {
  return slashless.has(url);
}

/** The escaped path as Go holds it: pathname, less the `/` a slashless path was given. */
export function escapedPathOf(url: URL): string {
  const p = url.pathname;
  return slashless.has(url) ? p.slice(1) : p;
}

/** req.URL.Path: the decoded current path. */
export function requestPath(ctx: RequestContext): string {
  // Keyed by the URL object: handlers replace ctx.url rather than edit it, so the same object has the same path.
  if (lastPath.url !== ctx.url) {
    const raw = escapedPathOf(ctx.url);
    lastPath.url = ctx.url;
    lastPath.raw = raw;
    lastPath.decoded = decodePath(raw);
    lastPath.lower = undefined;
  }
  return lastPath.decoded;
}

/** The escaped current path (escapedPathOf), read once per URL object. */
export function requestPathEscaped(ctx: RequestContext): string {
  requestPath(ctx);
  return lastPath.raw;
}

/** requestPath lower-cased (path matchers compare case-insensitively), computed once per path. */
export function requestPathLower(ctx: RequestContext): string {
  const decoded = requestPath(ctx);
  return (lastPath.lower ??= decoded.toLowerCase());
}
// Each path matcher of a route list asks for the same path: the last one is remembered (keyed by its raw form).
const lastPath: { url?: URL; raw: string; decoded: string; lower?: string } = { raw: '', decoded: '' };

/** req.URL.RequestURI(): escaped path plus `?query` when present. */
export function requestURI(url: URL): string {
  // Go's RequestURI gives "/" for an empty path.
  return (escapedPathOf(url) || '/') + url.search;
}

/** req.URL.RawQuery (without the `?`). */
export function rawQuery(url: URL): string {
  return url.search.startsWith('?') ? url.search.slice(1) : url.search;
}

export function isTLS(ctx: RequestContext): boolean {
  return ctx.url.protocol === 'https:';
}

interface CfProps {
  httpProtocol?: string;
  tlsVersion?: string;
  tlsCipher?: string;
}

export function cfProps(ctx: RequestContext): CfProps | undefined {
  return (ctx.request as Request & { cf?: CfProps }).cf;
}

/** req.Proto, e.g. `HTTP/1.1`, `HTTP/2`, `HTTP/3` (from request.cf at the edge; HTTP/1.1 locally). */
export function requestProto(ctx: RequestContext): string {
  const p = cfProps(ctx)?.httpProtocol;
  if (!p) return 'HTTP/1.1';
  return p.toUpperCase() === 'HTTP/2' ? 'HTTP/2.0' : p.toUpperCase() === 'HTTP/3' ? 'HTTP/3.0' : p.toUpperCase();
}

/** Major protocol version (1, 2, 3). */
export function protoMajor(ctx: RequestContext): number {
  const m = /^HTTP\/(\d)/.exec(requestProto(ctx));
  return m ? Number(m[1]) : 1;
}

/** Cookies from the Cookie header(s), in order (Go's req.Cookies(), lenient). */
export function requestCookies(ctx: RequestContext): Array<[string, string]> {
  const header = ctx.request.headers.get('cookie');
  if (!header) return [];
  const out: Array<[string, string]> = [];
  for (const part of header.split(';')) {
    const s = part.trim();
    if (!s) continue;
    const eq = s.indexOf('=');
    const name = eq < 0 ? s : s.slice(0, eq).trim();
    if (!name || eq < 0) continue;
    let value = s.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.push([name, value]);
  }
  return out;
}

/** The values of a request header as Go sees them: Host is not a header field (it is req.Host). */
export function headerValues(ctx: RequestContext, field: string): string[] | undefined {
  const lower = field.toLowerCase();
  if (lower === 'host') return undefined;
  const v = requestField(ctx, lower);
  if (v === null) return undefined;
  // Workers join repeated fields with ", "; Set-Cookie is the only one kept apart.
  if (lower === 'set-cookie') return ctx.request.headers.getSetCookie();
  return [v];
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's path.Split: dir includes the trailing slash. */
export function splitPath(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

/** Go's path.Ext. */
export function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

/** Go's path.Base. */
export function pathBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
