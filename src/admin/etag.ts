import { xxhash64 } from '../util/xxhash64.ts';
import { traverseConfig } from './config-path.ts';

/**
 * Caddy's config Etag shape, `"<request path> <hash hex>"`: clients send it back verbatim in If-Match, and the path
 * inside tells which part of the config it covers. The hash covers the store's revision as well as the JSON at the
 * path: rollouts, promotions and rollbacks change what is served without always changing the active JSON, and a
 * conditional write must fail once anything it did not see has changed (exactly one of N concurrent ones wins).
 */
export function etagFor(path: string, revision: number, json: string): string {
  return `"${path} ${xxhash64(`${revision}\n${json}`).toString(16)}"`;
}

/** The Etag of the active config at `path` (`/config/…`) for a store state. */
export function configEtag(path: string, revision: number, activeJson: string | null): string {
  const sub = path.slice('/config'.length);
  const found = traverseConfig(activeJson === null ? null : JSON.parse(activeJson), sub);
  return etagFor(path, revision, JSON.stringify(found.found ? (found.value ?? null) : null));
}

/** The path inside an If-Match value, or undefined when it is not a quoted `"/config/… <hash>"`. */
export function parseIfMatch(header: string): { path: string } | undefined {
  const m = /^"(\/config\/\S*) ([0-9a-f]+)"$/.exec(header.trim());
  return m ? { path: m[1] } : undefined;
}
