import { fixedPolicy } from './module.ts';

/** `first`: the first available upstream in configuration order (primary with backups). */
export const firstPolicy = fixedPolicy('first', (pool) => pool.find((up) => up.available()) ?? null);
