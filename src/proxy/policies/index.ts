import { ConfigError } from '../../config/errors.ts';
import type { SelectionPolicy } from '../types.ts';
import { clientIpHashPolicy } from './client-ip-hash.ts';
import { cookiePolicy } from './cookie.ts';
import { firstPolicy } from './first.ts';
import { headerPolicy } from './header.ts';
import { queryPolicy } from './query.ts';
import { ipHashPolicy } from './ip-hash.ts';
import { leastConnPolicy } from './least-conn.ts';
import { randomChoosePolicy } from './random-choose.ts';
import { randomPolicy } from './random.ts';
import { roundRobinPolicy } from './round-robin.ts';
import { uriHashPolicy } from './uri-hash.ts';
import { weightedRoundRobinPolicy } from './weighted-round-robin.ts';

const FIELDS: Record<string, readonly string[]> = {
  random: [],
  random_choose: ['choose'],
  first: [],
  round_robin: [],
  weighted_round_robin: ['weights'],
  least_conn: [],
  ip_hash: [],
  client_ip_hash: [],
  uri_hash: [],
  query: ['key', 'fallback'],
  header: ['field', 'fallback'],
  cookie: ['name', 'secret', 'max_age', 'fallback'],
};

/** Compiles a `selection_policy` object ({policy, …}); absent means `random`. Fallbacks nest. */
export function compileSelectionPolicy(json: unknown, path: string): SelectionPolicy {
  if (json === undefined || json === null) return randomPolicy;
  if (typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('selection_policy must be an object', path);
  const rec = json as Record<string, unknown>;
  const name = rec.policy;
  if (typeof name !== 'string' || !(name in FIELDS)) {
    throw new ConfigError(`unknown selection policy ${JSON.stringify(name)}`, path);
  }
  for (const k of Object.keys(rec)) {
    if (k !== 'policy' && !FIELDS[name].includes(k)) throw new ConfigError(`selection policy ${name}: unsupported field "${k}"`, path);
  }
  const fallback = (): SelectionPolicy => compileSelectionPolicy(rec.fallback, `${path}.fallback`);
  switch (name) {
    case 'random': return randomPolicy;
    case 'random_choose': return randomChoosePolicy(rec, path);
    case 'first': return firstPolicy;
    case 'round_robin': return roundRobinPolicy();
    case 'weighted_round_robin': return weightedRoundRobinPolicy(rec, path);
    case 'least_conn': return leastConnPolicy;
    case 'ip_hash': return ipHashPolicy;
    case 'client_ip_hash': return clientIpHashPolicy;
    case 'uri_hash': return uriHashPolicy;
    case 'query': return queryPolicy(rec, fallback(), path);
    case 'header': return headerPolicy(rec, fallback(), path);
    default: return cookiePolicy(rec, fallback(), path);
  }
}
