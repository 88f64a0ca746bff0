import { ConfigError } from '../../config/errors.ts';
import type { FallbackJSON, PolicyModule } from './module.ts';
import { hostByHashing } from './util.ts';

export interface HeaderJSON extends FallbackJSON {
  policy: 'header';
  field?: string;
}

/** `header <field>`: rendezvous hash of the header's first value (`Host` is the request host); empty → fallback. */
export const headerPolicy: PolicyModule<HeaderJSON> = {
  name: 'header',
  fields: ['field', 'fallback'],
  parseCaddyfile(a) {
    if (a.args.length !== 1) throw a.argErr();
    return { field: a.args[0] };
  },
  compile(json, ctx) {
    const fallback = ctx.fallback();
    const field = json.field;
    if (typeof field !== 'string' || field === '')
      throw new ConfigError('header selection policy: field is required', ctx.path);
    const isHost = field.toLowerCase() === 'host';
    const otherwise = fallback.select;
    return {
      traits: fallback.traits,
      select: (pool, req, effects) => {
        if (isHost && req.host !== '') return hostByHashing(pool, req.host);
        const val = firstValue(req.headers, field);
        if (val === '') return otherwise(pool, req, effects);
        return hostByHashing(pool, val);
      },
    };
  },
};

/** Go's Header.Get: the first value. Fetch Headers join repeated fields with ", ", so split them again. */
function firstValue(h: Headers, field: string): string {
  const v = h.get(field);
  if (v === null) return '';
  const comma = v.indexOf(', ');
  return comma >= 0 ? v.slice(0, comma) : v;
}
