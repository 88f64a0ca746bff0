import { ConfigError } from '../../config/errors.ts';
import { compileHide, joinRoot } from '../assets/hide.ts';
import { assetsOf, assetUrl, cleanPath, decodedPath, infoOf, statAsset, type FileInfo } from '../assets/lookup.ts';
import { mimeType } from '../assets/mime.ts';
import { HandlerError, type RequestContext } from '../types.ts';
import { errorId } from './errors.ts';
import { replaceAll } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, optBool, stringList, weakString } from './util.ts';

/**
 * `file_server` (Caddy's modules/caddyhttp/fileserver) on the Worker's static assets: the assets directory is the
 * site's root (src/cli/assets-dir.ts). Caddy's rules on top of what the binding answers: hidden files and missing
 * files are a 404 error (handle_errors applies) unless `pass_thru`; a directory serves its first index file and
 * redirects to the URI with a trailing slash (a file named with one is missing, as on Caddy's disk); any method
 * gets the file, as in Caddy 2.6; ETag and Last-Modified with 304s; precompressed siblings by Accept-Encoding;
 * inside handle_errors the error's status.
 */
export const compileFileServer: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(
    json,
    [
      'root',
      'hide',
      'pass_thru',
      'status_code',
      'index_names',
      'canonical_uris',
      'precompressed',
      'precompressed_order',
      'browse',
    ],
    path,
  );
  if (json.browse !== undefined) {
    throw new ConfigError(
      'file_server: browse is valid in Caddy but not supported by Gatehouse (static assets cannot be listed)',
      path,
    );
  }
  if (deps.bindings && !deps.bindings.has('ASSETS')) {
    throw new ConfigError(
      'file_server needs static assets: add an [assets] directory with binding = "ASSETS" to wrangler.toml',
      path,
    );
  }
  const root = replaceAll(typeof json.root === 'string' ? json.root : '{http.vars.root}');
  const hidden = compileHide(stringList(json.hide, 'hide', path));
  const listed = stringList(json.index_names, 'index_names', path);
  const indexNames = listed.length ? listed : ['index.html', 'index.txt'];
  const canonical = json.canonical_uris !== false;
  const passThru = optBool(json.pass_thru, 'pass_thru', path);
  const statusSrc = weakString(json.status_code, 'status_code', path);
  const status = statusSrc ? replaceAll(statusSrc) : undefined;
  const encodings = precompressedOrder(json, path);

  const notFound = (ctx: RequestContext, next: (c: RequestContext) => Promise<Response>) => {
    if (passThru) return next(ctx);
    throw new HandlerError(404, 'file not found', errorId());
  };

  return async (ctx, next) => {
    const reqPath = decodedPath(ctx);
    const rootDir = root(ctx);
    const isHidden = (p: string) => hidden?.(joinRoot(rootDir, p));
    let file = cleanPath(reqPath);
    if (isHidden(file)) return notFound(ctx, next);
    let info = await statAsset(ctx, file);
    // Cloudflare's assets have no directories: a path is one when an index file is under it.
    if (!info || info.isDir) {
      let index: FileInfo | null = null;
      for (const name of indexNames) {
        const candidate = cleanPath(`${file}/${name}`);
        if (isHidden(candidate)) continue;
        index = await statAsset(ctx, candidate);
        if (index && !index.isDir) {
          file = candidate;
          break;
        }
        index = null;
      }
      if (!index) return notFound(ctx, next);
      info = index;
      if (canonical && !reqPath.endsWith('/')) return redirect(ctx, `${ctx.url.pathname}/`);
    } else if (reqPath.endsWith('/') && reqPath !== '/') {
      // Caddy's stat of `file/` fails (not a directory): a missing file, not a redirect
      return notFound(ctx, next);
    }

    const code = status ? Number(status(ctx)) : ctx.error ? ctx.error.statusCode : undefined;
    return serve(ctx, file, info, encodings, code);
  };
};

function precompressedOrder(json: Record<string, unknown>, path: string): string[] {
  if (json.precompressed === undefined) return [];
  const order = stringList(json.precompressed_order, 'precompressed_order', path);
  const list = order.length ? order : Object.keys(json.precompressed as object);
  for (const e of list)
    if (!SUFFIX[e]) throw new ConfigError(`file_server: unknown precompressed encoding "${e}"`, path);
  return list;
}

const SUFFIX: Record<string, string> = { br: '.br', gzip: '.gz', zstd: '.zst' };
const TOKEN: Record<string, string> = { br: 'br', gzip: 'gzip', zstd: 'zstd' };

async function serve(
  ctx: RequestContext,
  file: string,
  info: FileInfo,
  encodings: string[],
  code: number | undefined,
): Promise<Response> {
  const method = ctx.request.method === 'HEAD' ? 'HEAD' : 'GET';
  let source = file;
  let encoding: string | undefined;
  if (encodings.length) {
    const accepted = acceptedEncodings(ctx.request.headers.get('accept-encoding'));
    for (const e of encodings) {
      if (!accepted.has(TOKEN[e])) continue;
      const sibling = await statAsset(ctx, file + SUFFIX[e]);
      if (sibling && !sibling.isDir) {
        source = file + SUFFIX[e];
        encoding = TOKEN[e];
        info = sibling;
        break;
      }
    }
  }
  const headers = new Headers();
  if (code === undefined) {
    const range = ctx.request.headers.get('range');
    if (range !== null && !encoding) headers.set('range', range);
  }
  const res = await assetsOf(ctx).fetch(new Request(assetUrl(source), { method, headers }));
  if (res.status === 404) throw new HandlerError(404, 'file not found', errorId());
  if (res.status >= 400 && res.status !== 416)
    throw new HandlerError(res.status >= 500 ? 502 : res.status, `static assets answered ${res.status}`, errorId());
  const got = infoOf(res);
  const out = new Response(method === 'HEAD' ? null : res.body, {
    status: code ?? res.status,
    headers: res.headers,
    encodeBody: encoding ? 'manual' : 'automatic',
  });
  const h = out.headers;
  const type = mimeType(file);
  if (encoding) {
    // the sibling's own type (application/gzip …) is not what the client gets once it decodes
    h.set('content-encoding', encoding);
    if (type) h.set('content-type', type);
    else h.delete('content-type');
  } else if (type && (h.get('content-type') ?? 'application/octet-stream') === 'application/octet-stream') {
    h.set('content-type', type);
  }
  if (encodings.length) h.append('vary', 'Accept-Encoding');
  const modified = got.modified ?? info.modified;
  const size = got.size ?? info.size;
  let etag = h.get('etag');
  if (etag === null && modified !== undefined && size !== undefined && res.status === 200) {
    // Caddy's ETag: modification time (seconds) and size, both base 36
    etag = `"${Math.floor(modified / 1000).toString(36)}${size.toString(36)}"`;
    h.set('etag', etag);
  }
  if (code === undefined && res.status === 200 && notModified(ctx, etag, modified)) {
    return new Response(null, { status: 304, headers: conditionalHeaders(h) });
  }
  return out;
}

function acceptedEncodings(header: string | null): Set<string> {
  const out = new Set<string>();
  if (!header) return out;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    out.add(name.trim().toLowerCase());
  }
  return out;
}

/** Go's http.ServeContent conditionals: If-None-Match (weak compare) wins over If-Modified-Since. */
function notModified(ctx: RequestContext, etag: string | null, modified: number | undefined): boolean {
  const method = ctx.request.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const inm = ctx.request.headers.get('if-none-match');
  if (inm !== null) {
    if (etag === null) return false;
    const weak = (t: string) => t.trim().replace(/^W\//, '');
    return inm.split(',').some((t) => t.trim() === '*' || weak(t) === weak(etag));
  }
  const ims = ctx.request.headers.get('if-modified-since');
  if (ims === null || modified === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(modified / 1000) <= Math.floor(since / 1000);
}

function conditionalHeaders(h: Headers): Headers {
  const out = new Headers();
  for (const name of ['etag', 'last-modified', 'cache-control', 'vary', 'content-location', 'expires']) {
    const v = h.get(name);
    if (v !== null) out.set(name, v);
  }
  return out;
}

/**
 * Caddy 2.6's canonical-URI redirect: permanent, to the path alone (the query is dropped), with Go's http.Redirect
 * body for GET and HEAD; never to `//host` (another site to a browser).
 */
function redirect(ctx: RequestContext, to: string): Response {
  const location = to.replace(/^\/+/, '/');
  const method = ctx.request.method;
  if (method !== 'GET' && method !== 'HEAD') return new Response(null, { status: 308, headers: { location } });
  const body = `<a href="${htmlEscape(location)}">Permanent Redirect</a>.\n\n`;
  return new Response(method === 'HEAD' ? null : body, {
    status: 308,
    headers: { location, 'content-type': 'text/html; charset=utf-8' },
  });
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
}

export const fileServerHandler: HandlerModule = { name: 'file_server', compile: compileFileServer };
