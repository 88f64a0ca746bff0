import { AsyncLocalStorage } from 'node:async_hooks';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';
import { LeaseHolder, leaseLimit, type Decision } from '../../src/ratelimit/lease.ts';
import { watchNamespace } from './watched-namespace.ts';
import { maxInWindow } from './sliding-window.ts';

// Keeping the hot path cheap: each LeaseHolder is one simulated isolate (its own leases, single flights and
// deny cache) talking to the real RateLimiter objects through a watched namespace that counts every call (acquire
// and release alike).

const realNs = (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `loops` concurrent clients per holder, each taking a slot for `id` over and over until `until` (or `count` takes
 * each); returns every allowed decision. Denied clients back off a little, as a client honouring 429 would.
 */
async function hammer(
  holders: LeaseHolder[],
  id: string,
  limit: ReturnType<typeof leaseLimit>,
  ns: DurableObjectNamespace<RateLimiter>,
  opts: { loops: number; until?: number; count?: number },
): Promise<{ allowed: Decision[]; requests: number; denied: Decision[] }> {
  const allowed: Decision[] = [];
  const denied: Decision[] = [];
  let requests = 0;
  await Promise.all(
    holders.flatMap((h) =>
      Array.from({ length: opts.loops }, async () => {
        for (let i = 0; opts.count === undefined ? Date.now() < opts.until! : i < opts.count; i++) {
          requests++;
          const d = await h.take(id, limit, ns);
          (d.allowed ? allowed : denied).push(d);
          if (!d.allowed) await sleep(3);
        }
      }),
    ),
  );
  return { allowed, requests, denied };
}

describe('rate_limit leases across simulated isolates', () => {
  it('several isolates hammering one key never allow more than events in any window', async () => {
    const { ns, calls } = watchNamespace(realNs);
    const holders = Array.from({ length: 4 }, () => new LeaseHolder());
    const limit = leaseLimit(150, 1000); // hold 100 ms, margin 20 ms
    expect(limit).toMatchObject({ holdMs: 100, marginMs: 20 });
    const { allowed, requests, denied } = await hammer(holders, 'lease-hammer\nk', limit, ns, {
      loops: 12,
      until: Date.now() + 2500,
    });

    const peak = maxInWindow(
      allowed.map((d) => d.usedAt),
      1000,
    );
    console.log(
      `lease hammer (events 150/1 s): ${requests} requests, ${allowed.length} allowed, peak ${peak} in a window, ${calls()} calls`,
    );
    expect(peak).toBeLessThanOrEqual(150);
    // The limit was the bottleneck (more than two windows' worth allowed, and many more asked) …
    expect(allowed.length).toBeGreaterThan(300);
    expect(requests).toBeGreaterThan(allowed.length * 2);
    // … and the isolates did not ask the object about the denied ones: near the limit each allowed request is
    // decided by the object (about one call each), while the deny caches answer the denials. Counted against what
    // the clients did rather than against elapsed time, so a slow machine (fewer requests) does not change it.
    expect(calls()).toBeLessThan(allowed.length + denied.length / 10);
    for (const h of holders) h.clear();
  });

  it('with a generous limit, costs far fewer object calls than requests', async () => {
    const { ns, calls } = watchNamespace(realNs);
    const holders = Array.from({ length: 4 }, () => new LeaseHolder());
    const limit = leaseLimit(1_000_000, 60_000); // hold 1 s, margin 200 ms
    const { allowed, requests } = await hammer(holders, 'lease-generous\nk', limit, ns, { loops: 8, count: 150 });
    expect(requests).toBe(4800);
    expect(allowed).toHaveLength(4800);
    const ratio = calls() / requests;
    console.log(
      `lease call ratio (generous limit): ${calls()} calls for ${requests} requests = ${(ratio * 100).toFixed(2)}%`,
    );
    // Per isolate the batch doubles 1, 2, 4 … and each lease is refilled at half: about a dozen calls for 1,200 requests.
    expect(ratio).toBeLessThan(0.05);
    // Nothing is lost: what the object counts is what was used plus what the isolates still hold (refills landed).
    await Promise.all(holders.map((h) => h.idle()));
    const stub = realNs.get(realNs.idFromName('lease-generous\nk'));
    const held = holders.reduce((s, h) => s + h.leased('lease-generous\nk'), 0);
    expect(1_000_000 - (await stub.peek(1_000_000, 60_000))).toBe(4800 + held);
    for (const h of holders) h.clear();
  });

  it('refills a busy key before its lease runs out, so its requests do not wait for the object', async () => {
    const { ns } = watchNamespace(realNs);
    const h = new LeaseHolder();
    const id = 'lease-refill\nk';
    const limit = leaseLimit(1_000_000, 60_000);
    let waited = 0;
    for (let i = 0; i < 600; i++) {
      const d = h.take(id, limit, ns);
      if (d instanceof Promise) waited++;
      expect((await d).allowed).toBe(true);
      if (i % 4 === 3) await sleep(1); // requests spread over time, as real traffic is
    }
    console.log(`lease refill: ${waited} of 600 requests waited for the object`);
    // Without refills every lease running out makes a request wait (the batch doubles to 256: ~10 waits for 600).
    expect(waited).toBeLessThanOrEqual(4);
    await h.idle();
    h.clear();
  });

  it('200 concurrent requests per key against events 50 window 10s allow exactly 50 per key across isolates', async () => {
    const { ns } = watchNamespace(realNs);
    const holders = [new LeaseHolder(), new LeaseHolder()];
    const limit = leaseLimit(50, 10_000);
    for (const key of ['client-a', 'client-b', 'client-c']) {
      const id = `lease-exact\n${key}`;
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => holders[i % 2].take(id, limit, ns)));
      expect(results.filter((r) => r.allowed)).toHaveLength(50);
      for (const d of results.filter((r) => !r.allowed)) {
        expect(d.waitMs).toBeGreaterThan(9_000);
        expect(d.waitMs).toBeLessThanOrEqual(10_000 + limit.holdMs);
      }
    }
  });

  it('a lease that expires unused gives its slots back long before the window would free them', async () => {
    const { ns, calls } = watchNamespace(realNs);
    const a = new LeaseHolder();
    const id = 'lease-expire\nk';
    const limit = leaseLimit(40, 5000); // hold 500 ms, margin 100 ms
    const stub = realNs.get(realNs.idFromName(id));
    // Six quick requests: the batch grows and leases are refilled at half, so some leased slots stay unused.
    for (let i = 0; i < 6; i++) expect((await a.take(id, limit, ns)).allowed).toBe(true);
    await a.idle();
    const leased = a.leased(id);
    expect(leased).toBeGreaterThan(0);
    expect(await stub.peek(40, 5000)).toBe(40 - 6 - leased);
    const before = calls();

    await sleep(limit.holdMs); // past every lease's deadline (hold − margin after it was sent)
    expect(a.leased(id)).toBe(0);
    expect(calls()).toBeGreaterThan(before); // the releases (peek goes through the real namespace: not counted)
    expect(await stub.peek(40, 5000)).toBe(40 - 6);

    // Another isolate can have every slot not used, well inside the 5 s window.
    const b = new LeaseHolder();
    const results = await Promise.all(Array.from({ length: 40 }, () => b.take(id, limit, ns)));
    expect(results.filter((r) => r.allowed)).toHaveLength(34);
    b.clear();
  });

  it('near the limit grants single slots: no over-admission, and the 429 carries the wait until a slot frees', async () => {
    const { ns } = watchNamespace(realNs);
    const holders = Array.from({ length: 3 }, () => new LeaseHolder());
    const id = 'lease-near\nk';
    const limit = leaseLimit(6, 10_000); // hold 1 s
    const start = Date.now();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => holders[i % 3].take(id, limit, ns)));
    expect(results.filter((r) => r.allowed)).toHaveLength(6);
    // Headroom 6 leaves room for a lease of one slot at most once, which the waiting requests take at once:
    // nothing is held back, and the object counts exactly the 6 used.
    expect(holders.reduce((s, h) => s + h.leased(id), 0)).toBe(0);
    expect(await realNs.get(realNs.idFromName(id)).peek(6, 10_000)).toBe(0);
    const waits = results.filter((r) => !r.allowed).map((r) => r.waitMs);
    expect(waits).toHaveLength(24);
    for (const w of waits) {
      expect(w).toBeGreaterThan(10_000 - (Date.now() - start) - 50);
      expect(w).toBeLessThanOrEqual(10_000 + limit.holdMs);
    }
    // Later requests are answered from each isolate's deny cache with the same wait.
    for (const h of holders) {
      const d = await h.take(id, limit, ns);
      expect(d.allowed).toBe(false);
      expect(d.waitMs).toBeGreaterThan(9_000);
    }
  });
  // The Workers runtime cancels a request that only awaits another request's I/O (as hung: a bare 500), and that
  // other request may end first. Requests here are told apart by their ExecutionContext; each records its waitUntils.
  const request = () => {
    const kept: Promise<unknown>[] = [];
    return { exec: { waitUntil: (p: Promise<unknown>) => void kept.push(p) }, kept };
  };

  it("a request waiting for another request's slow call decides alone, with a call of its own, after joinWaitMs", async () => {
    let slow = false;
    const { ns, calls } = watchNamespace(realNs, {
      delayMs: () => {
        if (!slow) return 0;
        slow = false;
        return 1500;
      },
    });
    const h = new LeaseHolder({ joinWaitMs: 300 });
    const id = 'lease-join-wait\nk';
    const limit = leaseLimit(1_000_000, 60_000); // hold 1 s
    await h.take(id, limit, ns, request().exec); // batch 1: no lease
    slow = true; // the next call (batch 2, a lease of one for whoever comes next) is slow
    const start = Date.now();
    const sender = Promise.resolve(h.take(id, limit, ns, request().exec)).then(() => Date.now() - start);
    const joiner = Promise.resolve(h.take(id, limit, ns, request().exec)).then((d) => ({ d, ms: Date.now() - start }));
    const j = await joiner;
    expect(j.d.allowed).toBe(true);
    expect(j.ms).toBeGreaterThanOrEqual(290);
    expect(j.ms).toBeLessThan(1200); // not held until the sender's call came back
    expect(calls()).toBe(3); // first, the sender's, the joiner's own
    // The slow call is not joined again: a request now calls at once rather than waiting joinWaitMs for it.
    const later = Date.now();
    expect((await h.take(id, limit, ns, request().exec)).allowed).toBe(true);
    expect(Date.now() - later).toBeLessThan(250);
    expect(await sender).toBeGreaterThanOrEqual(1400);
    await h.idle();
    h.clear();
  });

  it('requests a call brought nothing for decide again in their own request, not with another call of the sender', async () => {
    // Each take runs as its own "request"; the namespace notes whose flow each object call is made in.
    const flow = new AsyncLocalStorage<string>();
    const callers: (string | undefined)[] = [];
    const { ns } = watchNamespace(realNs, {
      delayMs: () => {
        callers.push(flow.getStore());
        return 30;
      },
    });
    const h = new LeaseHolder();
    const id = 'lease-join-again\nk';
    const limit = leaseLimit(8, 10_000); // hold 1 s; the object leases at most a quarter of the headroom
    await flow.run('first', () => h.take(id, limit, ns, request().exec));
    const names = ['sender', 'j1', 'j2', 'j3', 'j4'];
    const all = await Promise.all(names.map((n) => flow.run(n, () => h.take(id, limit, ns, request().exec))));
    expect(all.filter((d) => d.allowed)).toHaveLength(5); // 8 events: 1 + these 5, all within the limit
    // The sender's call brought a lease of one: one joiner took it, the others called again themselves.
    expect(callers.filter((c) => c === 'sender')).toHaveLength(1);
    expect(callers.filter((c) => c?.startsWith('j')).length).toBeGreaterThan(0);
    expect(callers).not.toContain(undefined);
    await h.idle();
    h.clear();
  });
});
