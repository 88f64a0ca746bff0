import type { RequestContext } from '../types.ts';
import type { Resolver } from './global.ts';
import {
  cfProps,
  decodePath,
  headerValues,
  isTLS,
  pathBase,
  pathExt,
  protoMajor,
  queryEscape,
  rawQuery,
  requestCookies,
  requestHost,
  requestHostport,
  requestPath,
  requestProto,
  requestURI,
  splitHostPort,
  splitPath,
} from './request.ts';
import { ipPrefix } from '../matchers/ip.ts';
import { statusText } from './status-text.ts';
import { isDigits } from '../../util/digits.ts';

// Caddy's HTTP placeholders (modules/caddyhttp/replacer.go), each compiled to a resolver once per key.
// A resolver returning undefined means "unknown placeholder" (kept verbatim under ReplaceKnown).

/** Stringifies a stored value the way Caddy's ToString does for the types Gatehouse stores. */
export function toStr(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return toStr((v as () => unknown)()); // a lazily computed value
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(toStr).join(' ')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const remoteAddr = (ctx: RequestContext): string =>
  ctx.remoteIp.includes(':') ? `[${ctx.remoteIp}]:${ctx.remotePort}` : `${ctx.remoteIp}:${ctx.remotePort}`;

export const UUID_VAR = 'http.request.uuid';

function uuid(ctx: RequestContext): string {
  let id = ctx.vars.get(UUID_VAR);
  if (typeof id !== 'string') {
    id = crypto.randomUUID();
    ctx.vars.set(UUID_VAR, id);
  }
  return id as string;
}

const pathParts = (p: string): string[] => {
  const parts = p.split('/');
  if (parts[0] === '') parts.shift();
  return parts;
};

const origPath = (ctx: RequestContext): string => decodePath(ctx.originalUrl.pathname);

const FIXED: Record<string, Resolver> = {
  'http.request.method': (ctx) => ctx.request.method,
  'http.request.scheme': (ctx) => (isTLS(ctx) ? 'https' : 'http'),
  'http.request.proto': (ctx) => requestProto(ctx),
  'http.request.proto_name': (ctx) =>
    protoMajor(ctx) === 2 ? 'HTTP/2' : protoMajor(ctx) === 3 ? 'HTTP/3' : requestProto(ctx),
  'http.request.host': (ctx) => requestHost(ctx),
  'http.request.port': (ctx) => {
    const port = splitHostPort(requestHostport(ctx))[1];
    return isDigits(port) ? String(Number(port)) : port;
  },
  'http.request.hostport': (ctx) => requestHostport(ctx),
  'http.request.local': (ctx) => ctx.url.host,
  'http.request.local.host': (ctx) => ctx.url.hostname.replace(/^\[|\]$/g, ''),
  'http.request.local.port': (ctx) => ctx.url.port || (isTLS(ctx) ? '443' : '80'),
  'http.request.remote': (ctx) => remoteAddr(ctx),
  'http.request.remote.host': (ctx) => ctx.remoteIp,
  'http.request.remote.port': (ctx) => ctx.remotePort,
  'http.request.uri': (ctx) => requestURI(ctx.url),
  'http.request.uri_escaped': (ctx) => queryEscape(requestURI(ctx.url)),
  'http.request.uri.path': (ctx) => requestPath(ctx),
  'http.request.uri.path_escaped': (ctx) => queryEscape(requestPath(ctx)),
  'http.request.uri.path.file': (ctx) => splitPath(requestPath(ctx))[1],
  'http.request.uri.path.dir': (ctx) => splitPath(requestPath(ctx))[0],
  'http.request.uri.path.file.base': (ctx) => {
    const p = requestPath(ctx);
    const base = pathBase(p);
    const ext = pathExt(p);
    return ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
  },
  'http.request.uri.path.file.ext': (ctx) => pathExt(requestPath(ctx)),
  'http.request.uri.query': (ctx) => rawQuery(ctx.url),
  'http.request.uri.query_escaped': (ctx) => queryEscape(rawQuery(ctx.url)),
  'http.request.uri.prefixed_query': (ctx) => ctx.url.search,
  'http.request.duration': (ctx) => `${Date.now() - ctx.startedAt}ms`,
  'http.request.duration_ms': (ctx) => String(Date.now() - ctx.startedAt),
  'http.request.uuid': uuid,
  'http.request.orig_method': (ctx) => ctx.originalMethod,
  'http.request.orig_uri': (ctx) => requestURI(ctx.originalUrl),
  'http.request.orig_uri.path': origPath,
  'http.request.orig_uri.path.file': (ctx) => splitPath(origPath(ctx))[1],
  'http.request.orig_uri.path.dir': (ctx) => splitPath(origPath(ctx))[0],
  'http.request.orig_uri.query': (ctx) => rawQuery(ctx.originalUrl),
  'http.request.orig_uri.prefixed_query': (ctx) => ctx.originalUrl.search,
  'http.auth.user.id': (ctx) =>
    ctx.vars.has('http.auth.user.id') ? toStr(ctx.vars.get('http.auth.user.id')) : undefined,
  'http.shutting_down': () => 'false',
  'http.time_until_shutdown': () => undefined,
};

const ERROR: Record<string, (ctx: RequestContext) => string> = {
  status_code: (ctx) => String(ctx.error!.statusCode),
  status_text: (ctx) => statusText(ctx.error!.statusCode),
  message: (ctx) => ctx.error!.message,
  trace: (ctx) => ctx.error!.trace,
  id: (ctx) => ctx.error!.id,
};

function tlsResolver(field: string): Resolver {
  return (ctx) => {
    if (!isTLS(ctx)) return undefined; // Caddy: unknown without TLS
    const cf = cfProps(ctx);
    switch (field) {
      case 'version':
        return cf?.tlsVersion ?? '';
      case 'cipher_suite':
        return cf?.tlsCipher ?? '';
      case 'resumed':
        return 'false';
      case 'proto':
        return protoMajor(ctx) === 2 ? 'h2' : protoMajor(ctx) === 3 ? 'h3' : 'http/1.1';
      case 'proto_mutual':
        return 'true';
      case 'server_name':
        return requestHost(ctx);
      default:
        return undefined; // client certificates are not visible at the edge
    }
  };
}

/** Resolver for a key in the HTTP namespace, or undefined if the key is not an HTTP placeholder. */
export function httpResolver(key: string): Resolver | undefined {
  const fixed = FIXED[key];
  if (fixed) return fixed;
  if (key.startsWith('http.request.uri.query.')) {
    const name = key.slice('http.request.uri.query.'.length);
    return (ctx) => ctx.url.searchParams.getAll(name).join(',');
  }
  if (key.startsWith('http.request.header.')) {
    const field = key.slice('http.request.header.'.length);
    return (ctx) => headerValues(ctx, field)?.join(',') ?? '';
  }
  if (key.startsWith('http.request.cookie.')) {
    const name = key.slice('http.request.cookie.'.length).toLowerCase();
    // Unknown (not empty) when the cookie is absent, as in Caddy.
    return (ctx) => requestCookies(ctx).find(([n]) => n.toLowerCase() === name)?.[1];
  }
  if (key.startsWith('http.request.remote.host/')) {
    // Experimental in Caddy: the peer's network, `/V4bits[,V6bits]`.
    const [v4, v6] = key.slice('http.request.remote.host/'.length).split(',');
    return (ctx) => {
      const isV6 = ctx.remoteIp.includes(':');
      const bitsStr = isV6 && v6 !== undefined ? v6 : v4;
      if (!isDigits(bitsStr)) return '';
      return ipPrefix(ctx.remoteIp, Number(bitsStr)) ?? '';
    };
  }
  if (key.startsWith('http.request.tls.')) return tlsResolver(key.slice('http.request.tls.'.length));
  if (key.startsWith('http.request.host.labels.')) {
    const idx = key.slice('http.request.host.labels.'.length);
    if (!isDigits(idx)) return () => undefined;
    const n = Number(idx);
    return (ctx) => {
      const labels = requestHost(ctx).split('.');
      return n >= labels.length ? '' : labels[labels.length - n - 1].toLowerCase();
    };
  }
  for (const [prefix, which] of [
    ['http.request.uri.path.', 'cur'],
    ['http.request.orig_uri.path.', 'orig'],
  ] as const) {
    if (!key.startsWith(prefix)) continue;
    const idx = key.slice(prefix.length);
    if (!isDigits(idx)) return () => undefined;
    const n = Number(idx);
    return (ctx) => pathParts(which === 'cur' ? requestPath(ctx) : origPath(ctx))[n] ?? '';
  }
  if (key.startsWith('http.vars.')) {
    const name = key.slice('http.vars.'.length);
    return (ctx) => toStr(ctx.vars.get(name));
  }
  if (key.startsWith('http.response.header.')) {
    // Response headers are only known where a response exists (deferred header ops, logs); those callers set
    // statics. Caddy treats the family as always known.
    return () => '';
  }
  if (key.startsWith('http.error.')) {
    const get = ERROR[key.slice('http.error.'.length)];
    return (ctx) => (ctx.error && get ? get(ctx) : undefined);
  }
  return undefined;
}
