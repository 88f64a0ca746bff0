import { ConfigError } from '../../config/errors.ts';
import { compileResponseMatcher } from './response-matcher.ts';
import { mutable, settleResponse } from './response.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, optNumber, optRecord, stringList } from './util.ts';

// Caddy's default list of compressible types (encode without a `match`).
const DEFAULT_TYPES = [
  'application/atom+xml*',
  'application/eot*',
  'application/font*',
  'application/geo+json*',
  'application/graphql+json*',
  'application/graphql-response+json*',
  'application/javascript*',
  'application/json*',
  'application/ld+json*',
  'application/manifest+json*',
  'application/opentype*',
  'application/otf*',
  'application/rss+xml*',
  'application/truetype*',
  'application/ttf*',
  'application/vnd.api+json*',
  'application/vnd.ms-fontobject*',
  'application/wasm*',
  'application/x-httpd-cgi*',
  'application/x-javascript*',
  'application/x-opentype*',
  'application/x-otf*',
  'application/x-perl*',
  'application/x-protobuf*',
  'application/x-ttf*',
  'application/xhtml+xml*',
  'application/xml*',
  'font/ttf*',
  'font/otf*',
  'image/svg+xml*',
  'image/vnd.microsoft.icon*',
  'image/x-icon*',
  'text/*',
];

/** Encodings the Workers runtime itself compresses when a Response declares them in Content-Encoding. */
const RUNTIME_ENCODINGS = new Set(['gzip', 'br']);
const KNOWN = new Set(['gzip', 'zstd', 'br']);

/**
 * `encode`: Gatehouse chooses the encoding like Caddy (Accept-Encoding q-values, then `prefer`, then the
 * configured set) and applies Caddy's response rules (match, minimum_length, no existing Content-Encoding, no
 * `Cache-Control: no-transform`), but the compressing itself is done by the Workers runtime, which encodes a body
 * whose Response declares `Content-Encoding: gzip|br`. zstd is accepted in the config but not produced, since
 * the runtime does not compress it; a client that only accepts zstd gets the identity body. (Cloudflare's edge
 * may also compress responses on its own; that is outside the Worker.)
 */
export const compileEncode: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['encodings', 'prefer', 'minimum_length', 'match'], path);
  const encodings = optRecord(json.encodings, 'encodings', path) ?? {};
  for (const name of Object.keys(encodings)) {
    if (!KNOWN.has(name)) throw new ConfigError(`encode: unknown encoding "${name}"`, path);
  }
  const configured = Object.keys(encodings).filter((e) => RUNTIME_ENCODINGS.has(e));
  const prefer = stringList(json.prefer, 'prefer', path);
  const minLength = optNumber(json.minimum_length, 'minimum_length', path) || 512;
  const match =
    compileResponseMatcher(json.match, `${path}.match`) ??
    compileResponseMatcher({ headers: { 'Content-Type': DEFAULT_TYPES } }, path)!;

  return async (ctx, next) => {
    const chosen = acceptedEncodings(ctx.request.headers, prefer, clientAcceptEncoding(ctx.request)).find((e) =>
      configured.includes(e),
    );
    const hooksAtEntry = ctx.responseHooks.length;
    const inner = await next(ctx);
    if (!chosen) return inner;
    // Decide on the headers as written, including those still pending in the base map and inner deferred ops.
    const res = settleResponse(ctx, inner, hooksAtEntry);
    const h = res.headers;
    if (h.get('content-encoding') || (h.get('cache-control') ?? '').includes('no-transform')) return res;
    if ((h.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) return res;
    const length = h.get('content-length');
    if (length !== null && Number(length) < minLength) return res;
    if (!match(res.status, h, ctx)) return res;
    const out = mutable(res);
    out.headers.delete('content-length');
    out.headers.set('Content-Encoding', chosen);
    if (!/(^|,)\s*accept-encoding\s*(,|$)/i.test(out.headers.get('vary') ?? ''))
      out.headers.append('Vary', 'Accept-Encoding');
    out.headers.delete('accept-ranges');
    const etag = out.headers.get('etag');
    if (etag && !etag.startsWith('W/')) out.headers.set('ETag', `${etag.replace(/"$/, '')}-${chosen}"`);
    return out;
  };
};

/**
 * The Accept-Encoding the client sent. Cloudflare may rewrite the field before the Worker sees it (and adds one to
 * a request that had none), keeping the client's own value in `cf.clientAcceptEncoding`.
 */
function clientAcceptEncoding(request: Request): string | null | undefined {
  return (request as { cf?: { clientAcceptEncoding?: string } }).cf?.clientAcceptEncoding;
}

/**
 * Caddy's AcceptedEncodings: by q-value, ties broken by `prefer` order; nothing for WebSocket handshakes. `client`
 * is the client's own Accept-Encoding when the runtime knows it, else the request's field is read.
 */
export function acceptedEncodings(headers: Headers, prefer: string[], client?: string | null): string[] {
  const header = client ?? headers.get('accept-encoding');
  if (!header) return [];
  const ws = headers.has('sec-websocket-key');
  const prefs: Array<{ name: string; q: number; order: number }> = [];
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName.trim().toLowerCase();
    let q = 1;
    const qp = params[0]?.trim();
    if (qp && qp.slice(0, 2).toLowerCase() === 'q=') {
      const v = Number.parseFloat(qp.slice(2));
      if (v >= 0 && v <= 1) q = v;
    }
    if (q < 0.00001 || (ws && name !== 'identity')) continue;
    const idx = prefer.indexOf(name);
    prefs.push({ name, q, order: idx < 0 ? -1 : prefer.length - idx });
  }
  prefs.sort((a, b) => (Math.abs(a.q - b.q) < 0.00001 ? b.order - a.order : b.q - a.q));
  return prefs.map((p) => p.name);
}

export const encodeHandler: HandlerModule = { name: 'encode', compile: compileEncode };
