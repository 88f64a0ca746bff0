import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, inject, it, vi } from 'vitest';
import type { UpstreamPool } from '../../durable/upstream-pool.ts';
import type { Handler, RequestContext } from '../../src/http/types.ts';
import { resetHostStates } from '../../src/proxy/passive-health.ts';
import { sharedPoolsInIsolate, type PoolNamespace, type SharedPool } from '../../src/proxy/shared-pool.ts';
import { upstreamStatuses } from '../../src/proxy/upstream-status.ts';
import { makeCtx, proxy, serve } from './proxy-helpers.ts';
import { watchNamespace } from './watched-namespace.ts';

// Upstream health shared through the UpstreamPool Durable Object: alarms run the active checks against real
// loopback upstreams, isolates read the pool's snapshot from a cache and never call the object on a fresh cache.

const ports = inject('proxyUpstreams');
const FLIP = `127.0.0.1:${ports.flip}`;
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const DOWN = `127.0.0.1:${ports.refused}`;
const ns = (env as unknown as { UPSTREAM_POOL: PoolNamespace }).UPSTREAM_POOL;
const first = { selection_policy: { policy: 'first' } };

/** Runs a request with a waitUntil that the test can drain (the pool's background work). */
async function request(h: Handler, poolNs: PoolNamespace = ns): Promise<{ res: Response; drain: () => Promise<void> }> {
  const pending: Promise<unknown>[] = [];
  const ctx: RequestContext = {
    ...makeCtx(new Request('http://example.com/x'), '203.0.113.9', { UPSTREAM_POOL: poolNs }),
    exec: { waitUntil: (p) => void pending.push(p) },
  };
  const res = await serve(h, ctx);
  return {
    res,
    drain: async () => {
      while (pending.length > 0) await Promise.allSettled(pending.splice(0));
    },
  };
}

async function upstreamOf(h: Handler, poolNs: PoolNamespace = ns): Promise<string | null> {
  const { res, drain } = await request(h, poolNs);
  await res.text();
  await drain();
  return res.headers.get('x-upstream');
}

function poolWithUri(uri: string): SharedPool {
  const pool = sharedPoolsInIsolate().find((p) => p.config.active?.uri === uri);
  if (!pool) throw new Error(`no shared pool for ${uri}`);
  return pool;
}

/**
 * configure() arms the first round of checks at once (Caddy checks at startup) and workerd fires it by itself;
 * waiting for it leaves later rounds (1m apart) to runDurableObjectAlarm alone.
 */
async function firstRoundDone(stub: DurableObjectStub<UpstreamPool>, dial: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const snap = await stub.snapshot();
    if (snap.upstreams[dial]?.lastCheck !== undefined && Object.values(snap.upstreams).every((u) => u.lastCheck !== undefined)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the first round of checks did not run');
}

async function setHealth(key: string, status: number): Promise<void> {
  const res = await fetch(`http://${FLIP}/control?key=${key}&status=${status}`);
  await res.body?.cancel();
}

describe('UpstreamPool shared health', () => {
  it('takes an upstream out after its health check fails and back after health_passes', async () => {
    const uri = '/health?key=flip1';
    const h = proxy({ upstreams: [{ dial: FLIP }, { dial: A }], load_balancing: first, health_checks: { active: { uri, interval: '1m', fails: 1, passes: 2 } } });
    expect(await upstreamOf(h)).toBe('h');
    const pool = poolWithUri(uri);
    const stub = ns.get(ns.idFromName(pool.name));
    await firstRoundDone(stub, FLIP);

    await setHealth('flip1', 503);
    let runs = 0;
    while (runs < 2 && (await stub.snapshot()).upstreams[FLIP].activeHealthy) {
      await runDurableObjectAlarm(stub);
      runs++;
    }
    const down = (await stub.snapshot()).upstreams[FLIP];
    expect(down.activeHealthy).toBe(false);
    expect(down.lastError).toContain('503');
    await pool.refresh();
    expect(await upstreamOf(h)).toBe('a');

    await setHealth('flip1', 200);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await pool.refresh();
    expect(await upstreamOf(h)).toBe('a'); // one pass of the two required
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await pool.refresh();
    expect(await upstreamOf(h)).toBe('h');

    const status = await upstreamStatuses();
    const flip = status.find((s) => s.address === FLIP);
    expect(flip).toMatchObject({ address: FLIP, healthy: true, fails: 0, last_error: null });
    expect(flip?.last_check).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('answers 503 when the pool marks every upstream down', async () => {
    const uri = '/health?status=500&k=alldown';
    const h = proxy({ upstreams: [{ dial: A }, { dial: B }], health_checks: { active: { uri, interval: '1m', fails: 1 } } });
    const { res, drain } = await request(h);
    expect(res.status).toBe(200); // Caddy's initial state: healthy until a check says otherwise
    await res.text();
    await drain();
    const pool = poolWithUri(uri);
    const stub = ns.get(ns.idFromName(pool.name));
    await firstRoundDone(stub, A);
    await pool.refresh();
    const after = await request(h);
    expect(after.res.status).toBe(503);
  });

  it('makes no Durable Object call for a proxied request while the snapshot is fresh', async () => {
    const { ns: counted, calls, reset } = watchNamespace(ns);
    const uri = '/health?k=count';
    const h = proxy({ upstreams: [{ dial: A }], health_checks: { active: { uri, interval: '1m' } } });
    const firstReq = await request(h, counted);
    expect(firstReq.res.status).toBe(200);
    await firstReq.res.text();
    expect(calls()).toBe(1); // configure(), started in the background
    await firstReq.drain();
    await poolWithUri(uri).refresh();

    reset();
    const fresh = await request(h, counted);
    expect(fresh.res.status).toBe(200);
    await fresh.res.text();
    await fresh.drain();
    expect(calls()).toBe(0);

    await new Promise((r) => setTimeout(r, 1100)); // staleness bound for a 1m interval is 1s
    const stale = await request(h, counted);
    expect(stale.res.status).toBe(200);
    await stale.res.text();
    await stale.drain();
    expect(calls()).toBe(1); // one background poll, not awaited by the request
  });

  it('shares passive failures: a reported failure marks the upstream down even after local state is gone', async () => {
    const cfg = { upstreams: [{ dial: DOWN }, { dial: A }], load_balancing: first, health_checks: { passive: { fail_duration: '30s', max_fails: 1 } } };
    const h = proxy(cfg);
    const { res, drain } = await request(h);
    expect(res.status).toBe(502);
    await drain();
    const pool = sharedPoolsInIsolate().find((p) => p.config.upstreams.includes(DOWN) && p.config.passive);
    expect(pool).toBeDefined();
    const snap = await ns.get(ns.idFromName(pool!.name)).snapshot();
    expect(snap.upstreams[DOWN].fails).toBe(1);

    resetHostStates(); // as if another isolate: no local failures, only the pool's count
    const h2 = proxy(cfg);
    expect(await upstreamOf(h2)).toBe('a');
  });

  it('keeps the last snapshot while the object is unreachable, and starts healthy when it never answered', async () => {
    const broken = { on: false };
    const flaky = new Proxy(ns, {
      get(target, prop) {
        if (prop === 'get') {
          return (id: DurableObjectId) => {
            const stub = target.get(id);
            return new Proxy(stub, {
              get(s, m) {
                const f: unknown = Reflect.get(s, m);
                if (typeof f !== 'function') return f;
                return (...args: unknown[]) =>
                  broken.on ? Promise.reject(new Error('object unreachable')) : Reflect.apply(f as (...a: unknown[]) => unknown, s, args);
              },
            });
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as PoolNamespace;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await setHealth('unreach1', 503);
      const uri = '/health?key=unreach1';
      const h = proxy({ upstreams: [{ dial: FLIP }, { dial: A }], load_balancing: first, health_checks: { active: { uri, interval: '1m' } } });
      const r1 = await request(h, flaky);
      await r1.res.text();
      await r1.drain();
      const pool = poolWithUri(uri);
      await firstRoundDone(ns.get(ns.idFromName(pool.name)), FLIP);
      await pool.refresh();
      expect(await upstreamOf(h, flaky)).toBe('a');

      broken.on = true;
      await new Promise((r) => setTimeout(r, 1100)); // the snapshot is stale now; refreshes fail
      expect(await upstreamOf(h, flaky)).toBe('a'); // the last snapshot still says the flipped upstream is down
      expect(await upstreamOf(h, flaky)).toBe('a');
      expect(warn).toHaveBeenCalledTimes(1); // logged once

      await setHealth('unreach2', 503);
      const h2 = proxy({
        upstreams: [{ dial: FLIP }, { dial: A }],
        load_balancing: first,
        health_checks: { active: { uri: '/health?key=unreach2', interval: '1m' } },
      });
      expect(await upstreamOf(h2, flaky)).toBe('h'); // never answered: Caddy's initial state, all healthy
    } finally {
      warn.mockRestore();
    }
  });

  it('least_conn and max_requests count the in-flight requests other isolates report to the pool', async () => {
    resetHostStates();
    const h = proxy({ upstreams: [{ dial: A }, { dial: B }], load_balancing: { selection_policy: { policy: 'least_conn' } } });
    await upstreamOf(h); // creates and configures the pool (no health checks: it only sums load)
    const pool = sharedPoolsInIsolate().find((p) => p.sharesLoad && p.config.upstreams.join() === [A, B].join());
    expect(pool).toBeDefined();
    // Another isolate has 5 requests in flight at A: this isolate sends everything to B.
    await pool!.stub().reportLoad('other-isolate', { [A]: 5, [B]: 0 });
    await pool!.refresh();
    for (let i = 0; i < 8; i++) expect(await upstreamOf(h)).toBe('b');
    // The other isolate's load moves to B: traffic follows to A.
    await pool!.stub().reportLoad('other-isolate', { [A]: 0, [B]: 5 });
    await pool!.refresh();
    for (let i = 0; i < 8; i++) expect(await upstreamOf(h)).toBe('a');
    // This isolate's own report is not counted twice: its totals exclude what it contributed.
    expect(pool!.reported[A]).toBe(0);

    // max_requests 3 on each upstream, with 3 in flight elsewhere at A and B: no upstream is available here.
    const capped = proxy({ upstreams: [{ dial: A, max_requests: 3 }, { dial: B, max_requests: 3 }], load_balancing: first });
    const { res } = await request(capped);
    await res.text();
    // Same upstream list, same (absent) health config: the same pool, as Caddy keeps one Host per address.
    const cappedPool = pool;
    await cappedPool!.stub().reportLoad('other-isolate', { [A]: 3, [B]: 3 });
    await cappedPool!.refresh();
    expect((await request(capped)).res.status).toBe(503);
    await cappedPool!.stub().reportLoad('other-isolate', { [A]: 3, [B]: 2 });
    await cappedPool!.refresh();
    expect(await upstreamOf(capped)).toBe('b');
  });
});
