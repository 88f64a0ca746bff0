import { ConfigError } from '../../config/errors.ts';
import type { SelectionPolicy } from '../types.ts';
import { hostByHashing } from './util.ts';

/**
 * `query <key>`: rendezvous hash of every value of one query parameter joined by "," (so a client cannot steer by
 * adding a second value); no value → the fallback policy.
 */
export function queryPolicy(json: Record<string, unknown>, fallback: SelectionPolicy, path: string): SelectionPolicy {
  const key = json.key;
  if (typeof key !== 'string' || key === '') throw new ConfigError('query selection policy: key is required', path);
  return (pool, req, effects) => {
    const vals = req.query.getAll(key).join(',');
    if (vals === '') return fallback(pool, req, effects);
    return hostByHashing(pool, vals);
  };
}
