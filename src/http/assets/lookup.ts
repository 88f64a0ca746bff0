import { HandlerError, type RequestContext } from '../types.ts';

/**
 * Files come from the Worker's static assets (the ASSETS binding: Cloudflare's assets at the edge, a workerd `disk`
 * service locally). A lookup is a HEAD through the binding; its answer is cached per isolate for a moment, so a
 * `try_files` site does not pay a subrequest per candidate per request.
 */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

export interface FileInfo {
  isDir: boolean;
  /** From Content-Length; undefined when the binding does not say. */
  size?: number;
  /** From Last-Modified (ms since epoch); undefined when the binding does not say. */
  modified?: number;
}

const CACHE_MS = 1000;
const CACHE_MAX = 512;
const cache = new Map<string, { info: FileInfo | null; until: number }>();

export function assetsOf(ctx: RequestContext): AssetsBinding {
  const assets = ctx.env.ASSETS as AssetsBinding | undefined;
  if (!assets) throw new HandlerError(500, 'static assets: the ASSETS binding is missing', '');
  return assets;
}

/** The binding's URL for a (decoded, cleaned) file path: the host does not matter, the path must be escaped. */
export function assetUrl(path: string): string {
  return `http://assets${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}`;
}

/** What the binding knows of `path` (clean, absolute), or null when there is no such file or directory. */
export async function statAsset(ctx: RequestContext, path: string): Promise<FileInfo | null> {
  const now = Date.now();
  const hit = cache.get(path);
  if (hit && hit.until > now) return hit.info;
  const res = await assetsOf(ctx).fetch(new Request(assetUrl(path), { method: 'HEAD' }));
  const info = res.ok ? infoOf(res) : null;
  if (res.ok || res.status === 404) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(path, { info, until: now + CACHE_MS });
  } else if (res.status >= 500) {
    throw new HandlerError(502, `static assets answered ${res.status}`, '');
  }
  return info;
}

export function infoOf(res: Response): FileInfo {
  const len = res.headers.get('content-length');
  const lm = res.headers.get('last-modified');
  const modified = lm ? Date.parse(lm) : NaN;
  return {
    isDir: isDirectoryListing(res, len),
    size: len !== null && /^[0-9]+$/.test(len) ? Number(len) : undefined,
    modified: Number.isNaN(modified) ? undefined : modified,
  };
}

// workerd's disk service answers a directory with a JSON listing of unknown length; Cloudflare's assets answer 404.
function isDirectoryListing(res: Response, len: string | null): boolean {
  return len === null && res.headers.get('content-type') === 'application/json';
}

/** Go's path.Clean of an absolute path: no `.`/`..` segments, no climbing above `/`, no doubled slashes. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** The request path as Caddy's file modules see it (decoded); a malformed escape is kept as it is. */
export function decodedPath(ctx: RequestContext): string {
  const raw = ctx.url.pathname;
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** For tests: forget cached lookups. */
export function clearAssetCache(): void {
  cache.clear();
}
