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
        // Persisted: a fresh read of storage sees the same ring.
        expect(state.storage.kv.get('ring')).toBeDefined();
      } finally {
        Date.now = realNow;
      }
    });
  });
});
