import { noArgs, PLAIN, type PolicyModule } from './module.ts';

/**
 * `round_robin`: a per-handler counter incremented before use, so the first request goes to index 1. Unavailable
 * upstreams are skipped, probing at most once around the pool.
 */
export const roundRobinPolicy: PolicyModule = {
  name: 'round_robin',
  fields: [],
  parseCaddyfile: noArgs,
  compile() {
    let robin = 0;
    return {
      traits: PLAIN,
      select: (pool) => {
        const n = pool.length;
        for (let i = 0; i < n; i++) {
          robin = (robin + 1) >>> 0; // Go's uint32 counter wraps
          const up = pool[robin % n];
          if (up.available()) return up;
        }
        return null;
      },
    };
  },
};
