import { fixedPolicy } from './module.ts';
import { selectRandomHost } from './util.ts';

/** `random`: uniform among available upstreams (Caddy's default policy). */
export const randomPolicy = fixedPolicy('random', (pool) => selectRandomHost(pool));
