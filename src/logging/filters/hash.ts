import { sha256HexSync } from '../../util/sha256-sync.ts';
import { registerFieldFilter } from '../field-filter.ts';
import { mapStrings } from './string-values.ts';

/** Caddy's log hash: the first 4 bytes of the SHA-256 of the text, as 8 hex digits. */
export function logHash(s: string): string {
  return sha256HexSync(s, 4);
}

// `hash`: the string becomes its log hash; a header list's strings become the hash of their hash, as in Caddy.
registerFieldFilter('hash', () => (field) => ({ key: field.key, value: mapStrings(field.value, logHash, 2) }));
