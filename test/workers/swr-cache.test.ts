import { describe, expect, it } from 'vitest';
import { SwrCache } from '../../src/util/swr-cache.ts';

// The isolate caches (pool snapshots, config versions): fresh values are served as they are, stale ones while a
// background refresh runs, and values older than awaitAfterMs are refreshed before they are served.

describe('SwrCache', () => {
  it('serves fresh, then stale while refreshing in the background, and refreshes first once long stale', async () => {
    let n = 0;
    const background: Promise<unknown>[] = [];
    const exec = { waitUntil: (p: Promise<unknown>) => void background.push(p) };
    const cache = new SwrCache(async () => ++n, 100, () => {}, 1000);
    expect(await cache.get(exec, 0)).toBe(1); // first use waits for a load
    expect(await cache.get(exec, 50)).toBe(1); // fresh: no load
    expect(n).toBe(1);
    // Stale: the old value now, a refresh in the background.
    const loaded = Date.now();
    cache.set(1, loaded);
    expect(await cache.get(exec, loaded + 200)).toBe(1);
    await Promise.all(background);
    expect(n).toBe(2);
    // Long stale (beyond awaitAfterMs): this request gets the refreshed value.
    expect(await cache.get(exec, Date.now() + 5000)).toBe(3);
  });

  it('keeps the last value when a refresh of a long-stale value fails', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const cache = new SwrCache(
      async () => {
        if (fail) throw new Error('unreachable');
        return 'v1';
      },
      100,
      (e) => errors.push(e),
      1000,
    );
    expect(await cache.get(undefined, 0)).toBe('v1');
    fail = true;
    expect(await cache.get(undefined, Date.now() + 5000)).toBe('v1');
    expect(errors).toHaveLength(1);
  });
});
