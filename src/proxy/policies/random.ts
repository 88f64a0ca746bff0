import type { SelectionPolicy } from '../types.ts';
import { selectRandomHost } from './util.ts';

/** `random`: uniform among available upstreams (Caddy's default policy). */
export const randomPolicy: SelectionPolicy = (pool) => selectRandomHost(pool);
