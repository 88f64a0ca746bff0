import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { UpstreamPool } from '../../durable/upstream-pool.ts';
import {
  budgetRefreshMs,
  initialUpstreamState,
  type PoolConfig,
  type PoolSnapshot,
} from '../../src/proxy/pool-protocol.ts';
import { SharedPool, type PoolNamespace } from '../../src/proxy/shared-pool.ts';
import type { RequestContext } from '../../src/http/types.ts';

// One pool object serves every isolate that holds it: the more isolates, the longer each waits between snapshot
// refreshes, so that together they stay within the object's budget, and their load reports live as long as that.

const ns = (env as unknown as { UPSTREAM_POOL: PoolNamespace }).UPSTREAM_POOL;
const A = '192.0.2.1:80';

interface StoredPool {
  holders: Record<string, number>;
  load: Record<string, { at: number; counts: Record<string, number> }>;
}

describe('pool refresh budget', () => {
  it('the object asks for longer refreshes as its holders grow, and keeps load reports for several of them', async () => {
    const stub = ns.get(ns.idFromName('refresh-budget-1'));
    const config: PoolConfig = { upstreams: [A] };
    await stub.configure(config, 'first');
    const snapshotWith = (holders: number, reportAgeMs: number) =>
      runInDurableObject(stub, (instance: UpstreamPool) => {
        const stored = (instance as unknown as { stored: StoredPool }).stored;
        const now = Date.now();
        stored.holders = Object.fromEntries(Array.from({ length: holders }, (_, i) => [`isolate-${i}`, now]));
        stored.load = { 'isolate-0': { at: now - reportAgeMs, counts: { [A]: 2 } } };
        return instance.snapshot();
      });

    const many = await snapshotWith(1200, 7000);
    expect(many.refreshMs).toBe(budgetRefreshMs(1200));
    expect(many.refreshMs).toBe(3000);
    // A report 7 s old is still within three refresh intervals: the isolate is refreshing less often, not gone.
    expect(many.upstreams[A].inFlight).toBe(2);

    const few = await snapshotWith(2, 7000);
    expect(few.refreshMs).toBeLessThan(1000);
    expect(few.upstreams[A].inFlight).toBe(0); // at the 5 s floor it has expired
  });

  it('an isolate stretches its refresh interval to what the object asks, never below its own', async () => {
    let calls = 0;
    let refreshMs: number | undefined = 1500;
    const snap = (): PoolSnapshot => ({
      at: Date.now(),
      upstreams: { [A]: initialUpstreamState() },
      refreshMs,
    });
    const fakeNs = {
      idFromName: (name: string) => name,
      get: () => ({
        configure: async () => snap(),
        poll: async () => {
          calls++;
          return snap();
        },
      }),
    } as unknown as PoolNamespace;
    const pool = new SharedPool(fakeNs, { upstreams: [A] }, { maxAgeMs: 250, holder: () => 'me' });
    const pending: Promise<unknown>[] = [];
    const ctx = { exec: { waitUntil: (p: Promise<unknown>) => void pending.push(p) } } as unknown as RequestContext;
    const settle = async () => {
      while (pending.length) await Promise.allSettled(pending.splice(0));
    };

    await pool.refresh(); // configures, and learns the 1.5 s interval
    await pool.refresh();
    calls = 0;
    await new Promise((r) => setTimeout(r, 400)); // past the isolate's own 250 ms, within the object's 1.5 s
    expect(pool.snapshotNow(ctx)).toBeDefined();
    await settle();
    expect(calls).toBe(0);

    refreshMs = undefined; // the object no longer asks: the isolate's own interval applies again
    await pool.refresh();
    calls = 0;
    await new Promise((r) => setTimeout(r, 400));
    expect(pool.snapshotNow(ctx)).toBeDefined();
    await settle();
    expect(calls).toBe(1);
  });
});
