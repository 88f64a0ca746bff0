import type { Upstream } from '../types.ts';
import { COUNTS_LOAD, fixedPolicy } from './module.ts';
import { globalLoad } from '../passive-health.ts';
import { randInt } from './util.ts';

/** `least_conn`: fewest requests in flight; ties broken uniformly at random. */
export const leastConnPolicy = fixedPolicy(
  'least_conn',
  (pool) => {
    let best: Upstream | null = null;
    let least = -1;
    let count = 0;
    for (const up of pool) {
      if (!up.available()) continue;
      const n = globalLoad(up.host);
      if (least === -1 || n < least) {
        least = n;
        count = 0;
      }
      if (n === least) {
        count++;
        if (count === 1 || randInt(count) === 0) best = up;
      }
    }
    return best;
  },
  COUNTS_LOAD,
);
