import { xxhash64 } from '../proxy/xxhash64.ts';

/**
 * Caddy's config Etag: `"<request path> <xxhash64 hex of the JSON at that path>"`. Clients send it back verbatim in
 * If-Match, so the path inside tells which part of the config the hash covers.
 */
export function etagFor(path: string, json: string): string {
  return `"${path} ${xxhash64(json).toString(16)}"`;
}

/** The path inside an If-Match value, or undefined when it is not a quoted `"<path> <hash>"`. */
export function parseIfMatch(header: string): { path: string } | undefined {
  const m = /^"(\S+) ([0-9a-f]+)"$/.exec(header.trim());
  return m ? { path: m[1] } : undefined;
}
