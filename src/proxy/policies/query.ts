import { ConfigError } from '../../config/errors.ts';
import type { FallbackJSON, PolicyModule } from './module.ts';
import { hostByHashing } from './util.ts';

export interface QueryJSON extends FallbackJSON {
  policy: 'query';
  key?: string;
}

/**
 * `query <key>`: rendezvous hash of every value of one query parameter joined by "," (so a client cannot steer by
 * adding a second value); no value → the fallback policy.
 */
export const queryPolicy: PolicyModule<QueryJSON> = {
  name: 'query',
  fields: ['key', 'fallback'],
  parseCaddyfile(a) {
    if (a.args.length !== 1) throw a.argErr();
    return { key: a.args[0] };
  },
  compile(json, ctx) {
    const fallback = ctx.fallback();
    const key = json.key;
    if (typeof key !== 'string' || key === '')
      throw new ConfigError('query selection policy: key is required', ctx.path);
    const otherwise = fallback.select;
    return {
      traits: fallback.traits,
      select: (pool, req, effects) => {
        const vals = req.query.getAll(key).join(',');
        if (vals === '') return otherwise(pool, req, effects);
        return hostByHashing(pool, vals);
      },
    };
  },
};
