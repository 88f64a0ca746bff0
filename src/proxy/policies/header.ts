import { ConfigError } from '../../config/errors.ts';
import type { SelectionPolicy } from '../types.ts';
import { hostByHashing } from './util.ts';

/** `header <field>`: rendezvous hash of the header's first value (`Host` is the request host); empty → fallback. */
export function headerPolicy(json: Record<string, unknown>, fallback: SelectionPolicy, path: string): SelectionPolicy {
  const field = json.field;
  if (typeof field !== 'string' || field === '') throw new ConfigError('header selection policy: field is required', path);
  const isHost = field.toLowerCase() === 'host';
  return (pool, req, effects) => {
    if (isHost && req.host !== '') return hostByHashing(pool, req.host);
    const val = firstValue(req.headers, field);
    if (val === '') return fallback(pool, req, effects);
    return hostByHashing(pool, val);
  };
}

/** Go's Header.Get: the first value. Fetch Headers join repeated fields with ", ", so split them again. */
function firstValue(h: Headers, field: string): string {
  const v = h.get(field);
  if (v === null) return '';
  const comma = v.indexOf(', ');
  return comma >= 0 ? v.slice(0, comma) : v;
}
