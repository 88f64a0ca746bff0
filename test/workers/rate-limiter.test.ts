import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';

const ns = (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;

describe('RateLimiter Durable Object (sliding log)', () => {
  it('allows exactly max_events under 200 concurrent hits', async () => {
    const stub = ns.get(ns.idFromName('exact\nclient-a'));
    const results = await Promise.all(Array.from({ length: 200 }, () => stub.hit(50, 10_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    const denied = results.find((r) => !r.allowed)!;
    expect(denied.waitMs).toBeGreaterThan(9_000);
    expect(denied.waitMs).toBeLessThanOrEqual(10_000);
  });

  it('keeps keys apart', async () => {
    const a = ns.get(ns.idFromName('apart\na'));
    const b = ns.get(ns.idFromName('apart\nb'));
    await Promise.all(Array.from({ length: 5 }, () => a.hit(5, 60_000)));
    expect((await a.hit(5, 60_000)).allowed).toBe(false);
    expect((await b.hit(5, 60_000)).allowed).toBe(true);
  });

  it('slides: a slot frees exactly when the oldest event leaves the window', async () => {
    const stub = ns.get(ns.idFromName('slide\nk'));
    await runInDurableObject(stub, async (instance: RateLimiter, state: DurableObjectState) => {
      const realNow = Date.now;
      let now = 1_000_000;
      Date.now = () => now;
      try {
        expect(instance.hit(2, 1000).allowed).toBe(true); // t=0
        now += 400;
        expect(instance.hit(2, 1000).allowed).toBe(true); // t=400
        now += 100;
        const denied = instance.hit(2, 1000); // t=500: window full
        expect(denied.allowed).toBe(false);
        expect(denied.waitMs).toBe(500);
        now = 1_000_000 + 1000; // exactly one window after the first: not yet (strictly greater)
        expect(instance.hit(2, 1000).allowed).toBe(false);
        now += 1;
        expect(instance.hit(2, 1000).allowed).toBe(true);
        // Persisted: storage holds exactly the events inside the window (t=400 and t=1001).
        const rows = state.storage.sql.exec<{ t: number }>('SELECT t FROM events ORDER BY t').toArray();
        expect(rows.map((r) => r.t)).toEqual([1_000_400, 1_001_001]);
      } finally {
        Date.now = realNow;
      }
    });
  });

  it('costs the same per hit with a huge events limit (only events inside the window are kept)', async () => {
    const stub = ns.get(ns.idFromName('huge\nk'));
    const results = await Promise.all(Array.from({ length: 100 }, () => stub.hit(1_000_000_000, 60_000)));
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(results.map((r) => r.remaining).sort((a, b) => a - b)[0]).toBe(1_000_000_000 - 100);
    expect(await stub.peek(1_000_000_000, 60_000)).toBe(1_000_000_000 - 100);
  });

  it('keeps its log across a restart of the object', async () => {
    const stub = ns.get(ns.idFromName('restart\nk'));
    for (let i = 0; i < 3; i++) expect((await stub.hit(3, 60_000)).allowed).toBe(true);
    // A fresh instance reads the log from SQLite (what happens after eviction).
    await runInDurableObject(stub, (_instance: RateLimiter, state: DurableObjectState) => {
      const fresh = new (_instance.constructor as new (ctx: DurableObjectState, env: unknown) => RateLimiter)(state, env);
      expect(fresh.hit(3, 60_000).allowed).toBe(false);
    });
  });
});
