import { describe, expect, it } from 'vitest';
import { SwrCache } from '../../src/util/swr-cache.ts';

// The isolate caches (pool snapshots, config versions): fresh values are served as they are, stale ones while a
// background refresh runs, and values older than awaitAfterMs are refreshed before they are served.

describe('SwrCache', () => {
  it('serves fresh, then stale while refreshing in the background, and refreshes first once long stale', async () => {
    let n = 0;
    const background: Promise<unknown>[] = [];
    const exec = { waitUntil: (p: Promise<unknown>) => void background.push(p) };
    const cache = new SwrCache(
      async () => ++n,
      100,
      () => {},
      { awaitAfterMs: 1000 },
    );
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

  it('keeps a value set while a refresh was loading: the older load is dropped, and not announced', async () => {
    let answer: (v: string) => void = () => {};
    const loaded: string[] = [];
    const cache = new SwrCache(
      () => new Promise<string>((r) => (answer = r)),
      100,
      () => {},
      { onLoaded: (v) => void loaded.push(v) },
    );
    cache.set('v1', 0);
    const background: Promise<unknown>[] = [];
    expect(await cache.get({ waitUntil: (p) => void background.push(p) }, 1000)).toBe('v1'); // stale: refresh starts
    cache.set('v2 (admin change here)');
    answer('v1 again (read before the change)');
    await Promise.all(background);
    expect(cache.peek()).toBe('v2 (admin change here)');
    expect(loaded).toEqual([]);
    // The next refresh, started after the change, is kept and announced.
    cache.invalidate();
    expect(await cache.get({ waitUntil: (p) => void background.push(p) }, Date.now() + 1000)).toBe(
      'v2 (admin change here)',
    );
    answer('v3');
    await Promise.all(background);
    expect(cache.peek()).toBe('v3');
    expect(loaded).toEqual(['v3']);
  });

  it('getNow answers without a promise exactly when get() would not wait', async () => {
    let n = 0;
    const background: Promise<unknown>[] = [];
    const exec = { waitUntil: (p: Promise<unknown>) => void background.push(p) };
    const cache = new SwrCache(
      async () => ++n,
      100,
      () => {},
      { awaitAfterMs: 1000 },
    );
    expect(cache.getNow(exec, 0)).toBeUndefined(); // nothing loaded yet: the caller must await get()
    expect(n).toBe(0);
    cache.set(7, 1000);
    expect(cache.getNow(exec, 1050)).toBe(7); // fresh
    expect(background).toHaveLength(0);
    expect(cache.getNow(exec, 1200)).toBe(7); // stale: served, refreshed in the background
    expect(background).toHaveLength(1);
    await Promise.all(background);
    expect(n).toBe(1);
    cache.set(7, 1000);
    expect(cache.getNow(exec, 5000)).toBeUndefined(); // long stale: get() waits for the refresh, so getNow defers
  });

  it('waits for a long-stale refresh at most maxWaitMs, then serves the old value and lets the refresh finish', async () => {
    let release: (v: string) => void = () => {};
    const background: Promise<unknown>[] = [];
    const exec = { waitUntil: (p: Promise<unknown>) => void background.push(p) };
    const cache = new SwrCache(
      () => new Promise<string>((r) => (release = r)),
      100,
      () => {},
      { awaitAfterMs: 1000, maxWaitMs: 50 },
    );
    cache.set('old', 0);
    const t0 = Date.now();
    expect(await cache.get(exec, 5000)).toBe('old'); // the load has not answered: the old value after 50 ms
    expect(Date.now() - t0).toBeLessThan(400);
    expect(background).toHaveLength(1);
    release('new');
    await Promise.all(background);
    expect(await cache.get(exec)).toBe('new'); // the background refresh filled the cache

    // A load that answers within the bound is what the request gets.
    const quick = new SwrCache(
      async () => 'fresh',
      100,
      () => {},
      { awaitAfterMs: 1000, maxWaitMs: 50 },
    );
    quick.set('old', 0);
    expect(await quick.get(exec, 5000)).toBe('fresh');
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
      { awaitAfterMs: 1000 },
    );
    expect(await cache.get(undefined, 0)).toBe('v1');
    fail = true;
    expect(await cache.get(undefined, Date.now() + 5000)).toBe('v1');
    expect(errors).toHaveLength(1);
  });
  it("a request that finds another request's load waits for it under its own timer, then loads itself", async () => {
    // The Workers runtime cancels a request that only awaits another request's I/O, and that request may end first.
    const answers: ((v: number) => void)[] = [];
    const cache = new SwrCache(
      () => new Promise<number>((r) => answers.push(r)),
      100,
      () => {},
      { shareWaitMs: 200 },
    );
    const a = { waitUntil: () => {} };
    const b = { waitUntil: () => {} };
    const c = { waitUntil: () => {} };
    const first = cache.get(a);
    const again = cache.get(a);
    const shared = cache.get(b);
    expect(answers).toHaveLength(1); // one load: its own request and another share it
    answers[0](1);
    expect([await first, await again, await shared]).toEqual([1, 1, 1]);
    // A load that never settles (its request was cancelled): another request loads itself after shareWaitMs.
    const loads: ((v: number) => void)[] = [];
    const cold = new SwrCache(
      () => new Promise<number>((r) => loads.push(r)),
      100,
      () => {},
      { shareWaitMs: 200 },
    );
    void cold.get(a); // never answered
    const start = Date.now();
    const other = cold.get(c);
    await new Promise((r) => setTimeout(r, 100));
    expect(loads).toHaveLength(1); // still waiting for a's load
    await new Promise((r) => setTimeout(r, 150));
    expect(loads).toHaveLength(2);
    loads[1](3);
    expect(await other).toBe(3);
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
  });
});
