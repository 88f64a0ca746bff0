import { ConfigError } from '../../config/errors.ts';
import { globalLoad } from '../passive-health.ts';
import type { SelectionPolicy, Upstream } from '../types.ts';
import { randInt } from './util.ts';

/** `random_choose <n>`: sample n available upstreams, then take the one with the fewest requests in flight. */
export function randomChoosePolicy(json: Record<string, unknown>, path: string): SelectionPolicy {
  const choose = json.choose ?? 2;
  if (typeof choose !== 'number' || !Number.isInteger(choose) || choose < 2) {
    throw new ConfigError('random_choose: choose must be at least 2', path);
  }
  return (pool) => {
    // Reservoir-sample `choose` available upstreams.
    const sample: Upstream[] = [];
    let seen = 0;
    for (const up of pool) {
      if (!up.available()) continue;
      seen++;
      if (sample.length < choose) sample.push(up);
      else {
        const j = randInt(seen);
        if (j < choose) sample[j] = up;
      }
    }
    return leastRequests(sample);
  };
}

/**
 * Caddy's leastRequests: an idle upstream wins at once; otherwise every upstream whose count is at most the best
 * seen so far joins the candidate list and one candidate is picked at random.
 */
export function leastRequests(ups: readonly Upstream[]): Upstream | null {
  const best: Upstream[] = [];
  let bestReqs = -1;
  for (const up of ups) {
    const reqs = globalLoad(up.host);
    if (reqs === 0) return up;
    if (bestReqs === -1 || reqs <= bestReqs) {
      bestReqs = reqs;
      best.push(up);
    }
  }
  if (best.length === 0) return null;
  return best.length === 1 ? best[0] : best[randInt(best.length)];
}
