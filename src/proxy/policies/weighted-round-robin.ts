import { ConfigError } from '../../config/errors.ts';
import type { Upstream } from '../types.ts';
import { PLAIN, type PolicyModule } from './module.ts';

export interface WeightedRoundRobinJSON {
  policy: 'weighted_round_robin';
  weights?: number[];
}

/**
 * `weighted_round_robin <w...>`: weights align with upstreams by position. The counter picks a bucket among the
 * positive weights; the bucket index then indexes the available upstreams with non-zero weight (so an unavailable
 * upstream shifts the mapping, as in Caddy).
 */
export const weightedRoundRobinPolicy: PolicyModule<WeightedRoundRobinJSON> = {
  name: 'weighted_round_robin',
  fields: ['weights'],
  parseCaddyfile: (a) => ({ weights: a.args.map((w) => a.int(w, 'weight')) }),
  compile(json, { path }) {
    const weights: unknown = json.weights ?? [];
    if (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0)) {
      throw new ConfigError('weighted_round_robin: weights must be non-negative integers', path);
    }
    const ws = weights as number[];
    const total = ws.reduce((a, b) => a + b, 0);
    if (ws.length >= 2 && total <= 0)
      throw new ConfigError('weighted_round_robin: total weight must be positive', path);
    const positive = ws.filter((w) => w > 0);
    let counter = 0;
    const select = (pool: readonly Upstream[]): Upstream | null => {
      if (pool.length === 0) return null;
      if (ws.length < 2) return pool[0];
      counter++;
      const current = counter % total;
      let index = 0;
      let acc = 0;
      for (let i = 0; i < positive.length; i++) {
        acc += positive[i];
        if (current < acc) {
          index = i;
          break;
        }
      }
      const list: Upstream[] = [];
      for (let i = 0; i < pool.length && list.length < positive.length; i++) {
        if (!pool[i].available() || !ws[i]) continue;
        list.push(pool[i]);
      }
      return list.length === 0 ? null : list[index % list.length];
    };
    return { traits: PLAIN, select };
  },
};
