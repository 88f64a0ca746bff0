import { isRecord } from '../http/handlers/util.ts';
import type { MatcherSetJSON } from './caddy-json.ts';

/**
 * A route's necessary condition on the request's header fields: those every one of its matcher sets requires to be
 * present. A `header` matcher that lists values (or an empty list) for a field fails on a request without that
 * field, so routes like `@tenant header X-Tenant t1` cannot match a request that has no X-Tenant, which one lookup
 * of the field tells for all of them. `null` (the field must be absent) asks nothing of this kind, and Host is left
 * out: the matcher always sees one.
 */
export function routeFields(sets: readonly MatcherSetJSON[] | undefined): Set<string> | undefined {
  if (!sets || sets.length === 0) return undefined;
  let common: Set<string> | undefined;
  for (const set of sets) {
    const header = (set as { header?: unknown }).header;
    const mine = new Set<string>();
    if (isRecord(header)) {
      for (const [field, values] of Object.entries(header)) {
        const lower = field.toLowerCase();
        if (Array.isArray(values) && lower !== 'host') mine.add(lower);
      }
    }
    common = common ? new Set([...common].filter((f) => mine.has(f))) : mine;
    if (common.size === 0) return undefined;
  }
  return common;
}
