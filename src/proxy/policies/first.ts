import type { SelectionPolicy } from '../types.ts';

/** `first`: the first available upstream in configuration order (primary with backups). */
export const firstPolicy: SelectionPolicy = (pool) => pool.find((up) => up.available()) ?? null;
