import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';
import { maxInWindow } from './sliding-window.ts';

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

  it('expiring an event reads a row or two of storage, not the whole log', async () => {
    await withClock('expiry-cost\nk', (instance, clock, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      let rowsRead = 0;
      // What the deletes read (they return no rows: running them to the end here changes nothing for the caller).
      sql.exec = ((query: string, ...args: unknown[]) => {
        const cursor = exec(query, ...args);
        if (/^\s*DELETE/i.test(query)) {
          cursor.toArray();
          rowsRead += cursor.rowsRead;
        }
        return cursor;
      }) as typeof sql.exec;
      try {
        for (let i = 0; i < 500; i++, clock.now += 2) expect(instance.hit(1000, 1000).allowed).toBe(true); // 500 events over 1 s
        clock.now += 1;
        rowsRead = 0;
        for (let i = 0; i < 10; i++, clock.now += 2) instance.hit(1000, 1000); // each expires about one event
        expect(rowsRead).toBeGreaterThan(0); // it did expire events
        expect(rowsRead).toBeLessThan(100); // a table scan per call would read ~5,000
      } finally {
        sql.exec = exec;
      }
    });
  });

  it('keeps keys apart', async () => {
    const a = ns.get(ns.idFromName('apart\na'));
    const b = ns.get(ns.idFromName('apart\nb'));
    await Promise.all(Array.from({ length: 5 }, () => a.hit(5, 60_000)));
    expect((await a.hit(5, 60_000)).allowed).toBe(false);
    expect((await b.hit(5, 60_000)).allowed).toBe(true);
  });

  it('slides: a slot frees exactly when the oldest event leaves the window', async () => {
    await withClock(
      'slide\nk',
      (instance, clock, state) => {
        expect(instance.hit(2, 1000).allowed).toBe(true); // t=0
        clock.now += 400;
        expect(instance.hit(2, 1000).allowed).toBe(true); // t=400
        clock.now += 100;
        const denied = instance.hit(2, 1000); // t=500: window full
        expect(denied.allowed).toBe(false);
        expect(denied.waitMs).toBe(500);
        clock.now = 1_000_000 + 1000; // exactly one window after the first: not yet (strictly greater)
        expect(instance.hit(2, 1000).allowed).toBe(false);
        clock.now += 1;
        expect(instance.hit(2, 1000).allowed).toBe(true);
        // Persisted: storage holds exactly the events inside the window (t=400 and t=1001).
        const rows = state.storage.sql.exec<{ t: number }>('SELECT t FROM events ORDER BY t').toArray();
        expect(rows.map((r) => r.t)).toEqual([1_000_400, 1_001_001]);
      },
      1_000_000,
    );
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
      const fresh = new (_instance.constructor as new (ctx: DurableObjectState, env: unknown) => RateLimiter)(
        state,
        env,
      );
      expect(fresh.hit(3, 60_000).allowed).toBe(false);
    });
  });
});

/** Runs `body` on a fresh object whose clock the test drives (starting at `start`). */
async function withClock(
  name: string,
  body: (o: RateLimiter, clock: { now: number }, state: DurableObjectState) => void,
  start = 5_000_000,
) {
  const stub = ns.get(ns.idFromName(name));
  await runInDurableObject(stub, (instance: RateLimiter, state: DurableObjectState) => {
    const clock = { now: start };
    const realClock = instance.now;
    instance.now = () => clock.now;
    try {
      body(instance, clock, state);
    } finally {
      instance.now = realClock;
    }
  });
}

describe('RateLimiter denials of a full window', () => {
  it('tells a herd of denied callers to come back one slot interval apart, not all when the next slot frees', async () => {
    await withClock('herd\nk', (o, clock) => {
      const events = 10;
      const windowMs = 1000; // one slot interval = 100 ms
      for (let i = 0; i < events; i++) expect(o.hit(events, windowMs).allowed).toBe(true);
      clock.now += 50;
      const rechecks = Array.from({ length: 20 }, () => o.acquire(events, windowMs, 1, 0, 0)).map((g) => {
        expect(g.now).toBe(0);
        expect(g.waitMs).toBe(950); // the oldest event leaves the window 950 ms from now
        return g.recheckMs;
      });
      // A few denials are no herd: they are told the next free slot as it is.
      expect(rechecks.slice(0, 8)).toEqual(Array(8).fill(950));
      // After that each caller comes back one slot interval after the one before.
      expect(rechecks.slice(8)).toEqual(Array.from({ length: 12 }, (_, i) => 950 + 100 * (i + 1)));
      // Never more than two windows past the next free slot.
      const more = Array.from({ length: 30 }, () => o.acquire(events, windowMs, 1, 0, 0).recheckMs);
      expect(Math.max(...more)).toBeLessThanOrEqual(950 + 2 * windowMs);

      // Once the window has room again, the next herd starts afresh.
      clock.now += windowMs + 1;
      expect(o.acquire(events, windowMs, 1, 0, 0).now).toBe(1);
      for (let i = 0; i < events - 1; i++) o.hit(events, windowMs);
      const next = o.acquire(events, windowMs, 1, 0, 0);
      expect(next.now).toBe(0);
      expect(next.recheckMs).toBe(next.waitMs);
    });
  });
});

describe('RateLimiter leases (acquire / release)', () => {
  it('leases at most a quarter of the headroom at now + hold, single slots near the limit, and the right wait when full', async () => {
    await withClock('lease-sizes\nk', (o, clock, state) => {
      const t0 = clock.now;
      const grants = [];
      for (let i = 0; i < 12; i++) {
        grants.push(o.acquire(20, 1000, 1, 64, 100));
        clock.now += 10;
      }
      // Headroom 20 → 1 now + 4 leased (⌊19/4⌋), 15 → 1 + 3, 11 → 1 + 2, 8 → 1 + 1, 6 → 1 + 1, then single slots.
      expect(grants.map((g) => [g.now, g.lease])).toEqual([
        [1, 4],
        [1, 3],
        [1, 2],
        [1, 1],
        [1, 1],
        [1, 0],
        [1, 0],
        [1, 0],
        [1, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
      expect(grants.map((g) => g.remaining)).toEqual([15, 11, 8, 6, 4, 3, 2, 1, 0, 0, 0, 0]);
      expect(grants.reduce((s, g) => s + g.now + g.lease, 0)).toBe(20); // never more than events
      // Leases are recorded at grant time + hold, each grant one row with a count.
      expect(grants[0]).toMatchObject({ at: t0, t: t0 + 100 });
      const rows = state.storage.sql
        .exec<{ t: number; n: number }>('SELECT t, n FROM events ORDER BY t, rowid')
        .toArray();
      expect(rows.filter((r) => r.t > t0 + 90)).toEqual([
        { t: t0 + 100, n: 4 },
        { t: t0 + 110, n: 3 },
        { t: t0 + 120, n: 2 },
        { t: t0 + 130, n: 1 },
        { t: t0 + 140, n: 1 },
      ]);
      // Full at t0 + 90: the oldest slot (used at t0) leaves after t0 + 1000; the first lease may come back at t0 + 100.
      const denied = grants[9];
      expect(denied.waitMs).toBe(1000 - 90);
      expect(denied.recheckMs).toBe(100 - 90);
      expect(o.hit(20, 1000)).toMatchObject({ allowed: false, waitMs: 1000 - 120 });
      // Once every lease entry lies in the past, nothing can come back before the window frees.
      clock.now = t0 + 500;
      const late = o.acquire(20, 1000, 1, 64, 100);
      expect(late.now).toBe(0);
      expect(late.recheckMs).toBe(late.waitMs);
      expect(late.waitMs).toBe(500);
      // The slot used at t0 frees one slot strictly after t0 + 1000.
      clock.now = t0 + 1000;
      expect(o.hit(20, 1000).allowed).toBe(false);
      clock.now = t0 + 1001;
      expect(o.hit(20, 1000).allowed).toBe(true);
      // A leased slot stays counted until its recorded time + window: t0 + 100 + 1000.
      clock.now = t0 + 1095;
      expect(o.peek(20, 1000)).toBe(8); // the 8 slots used at t0 … t0 + 80 have left, the leases are still counted
      clock.now = t0 + 1101;
      expect(o.peek(20, 1000)).toBe(12);
    });
  });

  it('gives unused leased slots back at once; a repeated or stale settlement changes nothing', async () => {
    await withClock('lease-release\nk', (o, clock, state) => {
      const g = o.acquire(100, 10_000, 1, 64, 1000);
      expect(g).toMatchObject({ now: 1, lease: 24, remaining: 75 }); // ⌊99/4⌋
      expect(o.peek(100, 10_000)).toBe(75);
      o.settleLease(g.id, g.t, 4); // 4 of the 24 were used
      expect(o.peek(100, 10_000)).toBe(95);
      expect(state.storage.sql.exec<{ n: number }>('SELECT n FROM events WHERE rowid = ?', g.id).one().n).toBe(4);
      o.settleLease(g.id, g.t, 4); // said again: the 4 used stay counted
      o.settleLease(g.id, g.t, 10); // a settlement can never count more than it did
      expect(o.peek(100, 10_000)).toBe(95);
      o.settleLease(g.id + 1000, g.t, 0); // unknown lease
      expect(o.peek(100, 10_000)).toBe(95);
      // An isolate of the earlier deployment (rolling update) still releases by count of unused slots.
      o.release(g.id, g.t, 4);
      expect(o.peek(100, 10_000)).toBe(99);
      expect(state.storage.sql.exec('SELECT * FROM events WHERE rowid = ?', g.id).toArray()).toHaveLength(0);
      // A fresh instance (eviction) reads counts and settlements from SQLite.
      const h = o.acquire(100, 10_000, 2, 64, 1000);
      expect(h).toMatchObject({ now: 2, lease: 24 });
      const fresh = new (o.constructor as new (ctx: DurableObjectState, env: unknown) => RateLimiter)(state, env);
      fresh.now = o.now;
      expect(fresh.peek(100, 10_000)).toBe(100 - 1 - 2 - 24);
      fresh.settleLease(h.id, h.t, 0);
      expect(fresh.peek(100, 10_000)).toBe(97);
      clock.now += 10_001;
      expect(fresh.peek(100, 10_000)).toBe(100);
    });
  });

  it('reads a log written before counts existed (one row per event)', async () => {
    await withClock('lease-migrate\nk', (o, clock, state) => {
      state.storage.sql.exec('DROP TABLE IF EXISTS events');
      state.storage.sql.exec('CREATE TABLE events (t INTEGER NOT NULL)');
      for (let i = 0; i < 3; i++) state.storage.sql.exec('INSERT INTO events (t) VALUES (?)', clock.now - 100 * i);
      const fresh = new (o.constructor as new (ctx: DurableObjectState, env: unknown) => RateLimiter)(state, env);
      fresh.now = o.now;
      expect(fresh.peek(5, 60_000)).toBe(2);
      expect(fresh.hit(5, 60_000)).toMatchObject({ allowed: true, remaining: 1 });
    });
  });

  it('stays exact when every leased slot is used at the last moment the isolate may use it (the proof, replayed)', async () => {
    // Fake clock, one object, W = 1000 ms, events 60, hold 100 ms, margin 20 ms. Three leasing isolates call when
    // their lease is over and use each leased slot as late as allowed (sent + hold − margin − 1), some giving half of
    // it back at the deadline; a fourth client hits every 20 ms. Zero latency is the worst case: the lease is recorded
    // at exactly send time + hold.
    const W = 1000;
    const E = 60;
    const hold = 100;
    const margin = 20;
    const run = (useAt: (sentAt: number) => number) => {
      const uses: number[] = [];
      let leased = 0;
      return withClock(`lease-proof-${useAt(0)}\nk`, (o, clock) => {
        const t0 = clock.now;
        type Pending = { at: number; act: () => void };
        const pending: Pending[] = [];
        const isolates = [3, 5, 7].map((period) => ({ period, busyUntil: 0 }));
        let seed = 7;
        const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        for (let t = t0; t < t0 + 6000; t++) {
          clock.now = t;
          for (const p of pending.filter((p) => p.at === t)) p.act();
          for (const iso of isolates) {
            if (t < iso.busyUntil || (t - t0) % iso.period !== 0) continue;
            const g = o.acquire(E, W, 1, 64, hold);
            if (g.now === 1) uses.push(g.at);
            if (g.lease === 0) continue;
            const used = rand() < 0.5 ? g.lease : Math.floor(g.lease / 2);
            const last = useAt(t);
            iso.busyUntil = last + 1;
            leased += used;
            pending.push({ at: last, act: () => uses.push(...new Array<number>(used).fill(last)) });
            if (used < g.lease)
              pending.push({ at: t + hold - margin, act: () => o.release(g.id, g.t, g.lease - used) });
          }
          if ((t - t0) % 20 === 0 && o.hit(E, W).allowed) uses.push(t);
        }
      }).then(() => ({ uses, leased }));
    };
    const exact = await run((sentAt) => sentAt + hold - margin - 1);
    expect(exact.uses.length).toBeGreaterThan(150); // six windows' worth: the limit was reached again and again
    expect(exact.leased).toBeGreaterThan(40); // and a good share of the uses came from leases
    expect(maxInWindow(exact.uses, W)).toBe(E);

    // Control: an isolate that kept using its lease past the hold would break the limit (the check has teeth).
    const late = await run((sentAt) => sentAt + hold + 300);
    expect(maxInWindow(late.uses, W)).toBeGreaterThan(E);
  });
});
