import { ConfigError } from '../../config/errors.ts';
import { globalLoad } from '../passive-health.ts';
import type { Upstream } from '../types.ts';
import { COUNTS_LOAD, type PolicyModule } from './module.ts';
import { randInt } from './util.ts';

export interface RandomChooseJSON {
  policy: 'random_choose';
  choose?: number;
}

/** `random_choose <n>`: sample n available upstreams, then take the one with the fewest requests in flight. */
export const randomChoosePolicy: PolicyModule<RandomChooseJSON> = {
  name: 'random_choose',
  fields: ['choose'],
  parseCaddyfile(a) {
    if (a.args.length > 1) throw a.argErr();
    return a.args.length ? { choose: a.int(a.args[0], 'choose') } : {};
  },
  compile(json, { path }) {
    const choose = json.choose ?? 2;
    if (typeof choose !== 'number' || !Number.isInteger(choose) || choose < 2) {
      throw new ConfigError('random_choose: choose must be at least 2', path);
    }
    return { traits: COUNTS_LOAD, select: (pool) => leastRequests(reservoir(pool, choose)) };
  },
};

/** Reservoir-samples `choose` available upstreams. */
function reservoir(pool: readonly Upstream[], choose: number): Upstream[] {
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
  return sample;
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
