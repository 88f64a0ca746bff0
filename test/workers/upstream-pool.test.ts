import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, inject, it, vi } from 'vitest';
import { checkUpstream, type UpstreamPool } from '../../durable/upstream-pool.ts';
import type { ActiveHealthConfig } from '../../src/proxy/pool-protocol.ts';
import type { Handler, RequestContext } from '../../src/http/types.ts';
import { resetHostStates } from '../../src/proxy/passive-health.ts';
import type { PoolNamespace, SharedPool } from '../../src/proxy/shared-pool.ts';
import { upstreamStatuses } from '../../src/proxy/upstream-status.ts';
import { makeCtx, proxy, serve, testPools } from './proxy-helpers.ts';
import { watchNamespace } from './watched-namespace.ts';
import { useMetricsRecorder } from '../../src/metrics/index.ts';
import { MetricsRecorder } from '../../src/metrics/recorder.ts';

// Upstream health shared through the UpstreamPool Durable Object: alarms run the active checks against real
// loopback upstreams, isolates read the pool's snapshot from a cache and never call the object on a fresh cache.

const ports = inject('proxyUpstreams');
const FLIP = `127.0.0.1:${ports.flip}`;
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const C = `127.0.0.1:${ports.echo[2]}`;
const DOWN = `127.0.0.1:${ports.refused}`;
const ns = (env as unknown as { UPSTREAM_POOL: PoolNamespace }).UPSTREAM_POOL;
const first = { selection_policy: { policy: 'first' } };
const TARGET = '{http.reverse_proxy.active.target_upstream}';

/** Runs a request with a waitUntil that the test can drain (the pool's background work); `null`: no pool binding. */
async function request(
  h: Handler,
  poolNs: PoolNamespace | null = ns,
  extraEnv: Record<string, unknown> = {},
): Promise<{ res: Response; drain: () => Promise<void> }> {
  const pending: Promise<unknown>[] = [];
  const ctx: RequestContext = {
    ...makeCtx(new Request('http://example.com/x'), '203.0.113.9', { UPSTREAM_POOL: poolNs ?? undefined, ...extraEnv }),
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

async function upstreamOf(h: Handler, poolNs: PoolNamespace | null = ns): Promise<string | null> {
  const { res, drain } = await request(h, poolNs);
  await res.text();
  await drain();
  return res.headers.get('x-upstream');
}

function poolWithUri(uri: string): SharedPool {
  const pool = testPools.pools().find((p) => p.config.active?.uri === uri);
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
    if (
      snap.upstreams[dial]?.lastCheck !== undefined &&
      Object.values(snap.upstreams).every((u) => u.lastCheck !== undefined)
    )
      return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the first round of checks did not run');
}

async function setHealth(key: string, status: number): Promise<void> {
  const res = await fetch(`http://${FLIP}/control?key=${key}&status=${status}`);
  await res.body?.cancel();
}

/** A regexp source matching a literal dial address. */
const literal = (s: string): string => s.replace(/[.]/g, '\\.');

describe('UpstreamPool shared health', () => {
  it('takes an upstream out after its health check fails and back after health_passes', async () => {
    const uri = '/health?key=flip1';
    const h = proxy({
      upstreams: [{ dial: FLIP }, { dial: A }],
      load_balancing: first,
      health_checks: { active: { uri, interval: '1m', fails: 1, passes: 2 } },
    });
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

    const status = await upstreamStatuses(testPools);
    const flip = status.find((s) => s.address === FLIP);
    expect(flip).toMatchObject({ address: FLIP, healthy: true, fails: 0, last_error: null });
    expect(flip?.last_check).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('answers 503 from the first request when every upstream fails its first check (Caddy checks at load)', async () => {
    const uri = '/health?status=500&k=alldown';
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      health_checks: { active: { uri, interval: '1m', fails: 1 } },
    });
    const { res, drain } = await request(h);
    expect(res.status).toBe(503); // the first round's result, not a healthy guess
    await res.text();
    await drain();
    const pool = poolWithUri(uri);
    const stub = ns.get(ns.idFromName(pool.name));
    expect((await stub.snapshot()).upstreams[A].activeHealthy).toBe(false);
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
    const cfg = {
      upstreams: [{ dial: DOWN }, { dial: A }],
      load_balancing: first,
      health_checks: { passive: { fail_duration: '30s', max_fails: 1 } },
    };
    const h = proxy(cfg);
    const { res, drain } = await request(h);
    expect(res.status).toBe(502);
    await drain();
    const pool = testPools.pools().find((p) => p.config.upstreams.includes(DOWN) && p.config.passive);
    expect(pool).toBeDefined();
    const snap = await ns.get(ns.idFromName(pool!.name)).snapshot();
    expect(snap.upstreams[DOWN].fails).toBe(1);

    resetHostStates(); // as if another isolate: no local failures, only the pool's count
    const h2 = proxy(cfg);
    expect(await upstreamOf(h2)).toBe('a');
  });

  it('keeps the last snapshot while the object is unreachable, and starts healthy when it never answered', async () => {
    const broken = { on: false };
    const { ns: flaky } = watchNamespace(ns, () => broken.on);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await setHealth('unreach1', 503);
      const uri = '/health?key=unreach1';
      const h = proxy({
        upstreams: [{ dial: FLIP }, { dial: A }],
        load_balancing: first,
        health_checks: { active: { uri, interval: '1m' } },
      });
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
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'least_conn' } },
    });
    await upstreamOf(h); // creates and configures the pool (no health checks: it only sums load)
    const pool = testPools.pools().find((p) => p.sharesLoad && p.config.upstreams.join() === [A, B].join());
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
    const capped = proxy({
      upstreams: [
        { dial: A, max_requests: 3 },
        { dial: B, max_requests: 3 },
      ],
      load_balancing: first,
    });
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

describe('active checks the pool object cannot run', () => {
  it('run in the isolate when the pool only shares load (health_upstream + least_conn), and a pool refresh does not undo them', async () => {
    await setHealth('local1', 503);
    const h = proxy({
      upstreams: [{ dial: A }, { dial: C }],
      load_balancing: { selection_policy: { policy: 'least_conn' } },
      // Every check goes to the flipping upstream, which fails them: both upstreams are down for this handler.
      health_checks: { active: { uri: '/health?key=local1', upstream: FLIP, interval: '1m' } },
    });
    const firstReq = await request(h);
    expect(firstReq.res.status).toBe(503); // the first request waits for the first round, as Caddy checks at load
    await firstReq.res.text();
    await firstReq.drain();
    expect((await request(h)).res.status).toBe(503);
    const pool = testPools.pools().find((p) => p.sharesLoad && p.config.upstreams.join() === [A, C].join());
    expect(pool).toBeDefined();
    expect(pool!.config.active).toBeUndefined(); // the pool sums load; the checks are this isolate's
    // The pool's snapshot says healthy (it runs no checks): the local result stands.
    await pool!.refresh();
    expect((await request(h)).res.status).toBe(503);
    expect((await request(h)).res.status).toBe(503);
    // The admin list shows the isolate's own results.
    const status = await upstreamStatuses(testPools);
    expect(status.filter((s) => s.address === A || s.address === C).map((s) => s.healthy)).toEqual([false, false]);
  });

  it('still share passive failures through the pool', async () => {
    const h = proxy({
      upstreams: [{ dial: DOWN }, { dial: B }],
      load_balancing: first,
      health_checks: {
        active: { uri: '/anything', upstream: B, interval: '1m' },
        passive: { fail_duration: '30s', max_fails: 1 },
      },
    });
    const { res, drain } = await request(h);
    expect(res.status).toBe(502);
    await drain();
    const pool = testPools
      .pools()
      .find((p) => p.config.passive && !p.config.active && p.config.upstreams.join() === [DOWN, B].join());
    expect(pool).toBeDefined();
    expect((await pool!.stub().snapshot()).upstreams[DOWN].fails).toBe(1);
  });
});

describe('waiting for the pool object', () => {
  it('a slow object delays the first request at most the first-round bound; the refresh finishes in the background', async () => {
    const { ns: slow, calls } = watchNamespace(ns, { delayMs: 3000 });
    const h = proxy({
      upstreams: [{ dial: A }],
      health_checks: { active: { uri: '/health?k=slow1', interval: '1m', timeout: '500ms' } },
    });
    const t0 = Date.now();
    const firstReq = await request(h, slow);
    expect(firstReq.res.status).toBe(200); // Caddy's initial state: healthy
    await firstReq.res.text();
    // The check timeout plus UPSTREAM_POOL_WAIT_MS (600 ms) of waiting, not the object's 3 s.
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(calls()).toBe(1);
    await firstReq.drain(); // configure() completes in waitUntil and fills the cache
    const pool = poolWithUri('/health?k=slow1');
    const t1 = Date.now();
    const fresh = await request(h, slow);
    await fresh.res.text();
    expect(Date.now() - t1).toBeLessThan(700);
    expect(calls()).toBe(1); // the snapshot it brought is fresh: no second call
    expect(pool.runsActiveChecks).toBe(true);
  });

  it('UPSTREAM_POOL_WAIT_MS=0 never waits, and a failing object answers at once with the initial state', async () => {
    const { ns: slow } = watchNamespace(ns, { delayMs: 1000 });
    const h = proxy({
      upstreams: [{ dial: A }],
      health_checks: { active: { uri: '/health?k=slow2', interval: '1m' } },
    });
    const t0 = Date.now();
    const r = await request(h, slow, { UPSTREAM_POOL_WAIT_MS: '0' });
    expect(r.res.status).toBe(200);
    await r.res.text();
    expect(Date.now() - t0).toBeLessThan(500);
    await r.drain();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // The isolate's recorder, watched: the pool objects' alarms run in this isolate too and may flush it meanwhile.
    const mine = new MetricsRecorder(60_000);
    const counted = vi.spyOn(mine, 'inc');
    const previous = useMetricsRecorder(mine);
    try {
      const { ns: failing } = watchNamespace(ns, () => true);
      const h2 = proxy({
        upstreams: [{ dial: A }],
        health_checks: { active: { uri: '/health?k=fail1', interval: '1m' } },
      });
      const t1 = Date.now();
      const r2 = await request(h2, failing);
      expect(r2.res.status).toBe(200);
      await r2.res.text();
      await r2.drain();
      expect(Date.now() - t1).toBeLessThan(500);
      expect(warn).toHaveBeenCalledTimes(1);
      // The failed call is counted as gatehouse_durable_object_errors_total{object="UpstreamPool"}.
      const errors = counted.mock.calls.filter(
        ([def, labels]) => def.name === 'gatehouse_durable_object_errors_total' && labels.object === 'UpstreamPool',
      );
      expect(errors).toHaveLength(1);
    } finally {
      useMetricsRecorder(previous);
      warn.mockRestore();
    }
  });
});

describe('health_headers', () => {
  const headerCheck = (expectBody: string): ActiveHealthConfig => ({
    uri: '/echo',
    intervalMs: 60_000,
    timeoutMs: 2_000,
    method: 'GET',
    headers: { 'X-Target': TARGET, Host: 'ignored.example' },
    expectBody,
    followRedirects: false,
    passes: 1,
    fails: 1,
    scheme: 'http',
  });

  it('the pool object fills in target_upstream with each upstream’s dial address', async () => {
    const onlyA = headerCheck(`"x-target":"${literal(A)}"`);
    expect(await checkUpstream(A, onlyA)).toEqual({ ok: true });
    expect((await checkUpstream(B, onlyA)).ok).toBe(false); // B's check says B

    // End to end: the echo body names the upstream that answered and the X-Target it got; each must match.
    const expect_body = `^\\{"id":"a".*"x-target":"${literal(A)}"|^\\{"id":"b".*"x-target":"${literal(B)}"`;
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      health_checks: {
        active: { uri: '/echo?k=hdr1', interval: '1m', headers: { 'X-Target': [TARGET] }, expect_body },
      },
    });
    await upstreamOf(h);
    const pool = poolWithUri('/echo?k=hdr1');
    expect(pool.config.active?.headers['X-Target']).toBe(TARGET); // left for the object to fill in
    const stub = ns.get(ns.idFromName(pool.name));
    await firstRoundDone(stub, A);
    const snap = await stub.snapshot();
    expect(snap.upstreams[A]).toMatchObject({ activeHealthy: true, lastError: undefined });
    expect(snap.upstreams[B]).toMatchObject({ activeHealthy: true, lastError: undefined });
  });

  it('per-isolate checks send target_upstream as the upstream’s dial, and a Host entry sets a service upstream’s host', async () => {
    const seen: Array<{ binding: string; url: string; target: string | null }> = [];
    const binding = (name: string) => ({
      fetch: async (req: Request) => {
        if (new URL(req.url).pathname === '/healthz')
          seen.push({ binding: name, url: req.url, target: req.headers.get('x-target') });
        return new Response('ok', { headers: { 'x-upstream': name } });
      },
    });
    const h = proxy({
      upstreams: [{ dial: 'service:SVC1' }, { dial: 'service:SVC2' }],
      health_checks: {
        active: { uri: '/healthz', interval: '1m', headers: { 'X-Target': [TARGET], Host: ['health.internal'] } },
      },
    });
    const r = await request(h, null, { SVC1: binding('SVC1'), SVC2: binding('SVC2') });
    await r.res.text();
    await r.drain();
    seen.sort((x, y) => x.binding.localeCompare(y.binding));
    expect(seen).toEqual([
      { binding: 'SVC1', url: 'http://health.internal/healthz', target: 'service:SVC1' },
      { binding: 'SVC2', url: 'http://health.internal/healthz', target: 'service:SVC2' },
    ]);
  });

  it('per-isolate checks to a health_upstream still name the checked upstream, not the target', async () => {
    const expect_body = `"x-target":"(${literal(A)}|${literal(B)})"`;
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      health_checks: {
        active: { uri: '/echo', upstream: C, interval: '1m', headers: { 'X-Target': [TARGET] }, expect_body },
      },
    });
    const r = await request(h, null); // no pool binding: checks in the isolate
    await r.res.text();
    await r.drain();
    expect((await request(h, null)).res.status).toBe(200); // both passed (X-Target was C's address before)
  });
});
