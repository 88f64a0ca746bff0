import { sha256HexSync } from '../../util/sha256-sync.ts';
import { registerFieldFilter } from '../field-filter.ts';
import { listPassesAt, mapStrings } from './string-values.ts';

/** Caddy's log hash: the first 4 bytes of the SHA-256 of the text, as 8 hex digits. */
export function logHash(s: string): string {
  return sha256HexSync(s, 4);
}

// `hash`: the string, or each string of a header list, becomes its log hash (a request header's, its hash's hash).
registerFieldFilter('hash', (_json, path) => {
  const passes = listPassesAt(path);
  return (field) => ({ key: field.key, value: mapStrings(field.value, logHash, passes) });
});
