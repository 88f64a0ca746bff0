import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { Handler } from '../../src/http/types.ts';
import { hostState, resetHostStates } from '../../src/proxy/passive-health.ts';
import { xxhash64 } from '../../src/util/xxhash64.ts';
import { makeCtx, proxy, serve } from './proxy-helpers.ts';

// Every selection policy through reverse_proxy against the three real loopback echo upstreams of global-setup.ts
// (a, b, c: each answers with its name in X-Upstream). Counter policies must give their exact sequences, random ones
// stay within wide bounds, load-aware ones avoid an upstream held busy by a slow request, and hash policies send
// the same key to the same upstream every time, the one rendezvous hashing over these dial addresses predicts
// (computed here from xxhash64 of dial + key; xxhash64 itself is checked against the reference library in
// xxhash64.test.ts).

const ports = inject('proxyUpstreams');
const DIALS = ports.echo.map((p) => `127.0.0.1:${p}`);
const [A, B, C] = DIALS;
const NAME: Record<string, string> = { [A]: 'a', [B]: 'b', [C]: 'c' };
const ups = (dials = DIALS): Array<Record<string, unknown>> => dials.map((dial) => ({ dial }));

beforeEach(() => resetHostStates());

interface Hit {
  url?: string;
  init?: RequestInit;
  ip?: string;
  vars?: Record<string, string>;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * One request through the handler; returns the upstream's name. The body is read and a task boundary passed, so the
 * request no longer counts as in flight when the next one is chosen (the count drops when the body has streamed).
 */
async function hit(h: Handler, o: Hit = {}): Promise<string> {
  const ctx = makeCtx(new Request(o.url ?? 'http://site.test/', o.init), o.ip ?? '203.0.113.9');
  for (const [k, v] of Object.entries(o.vars ?? {})) ctx.vars.set(k, v);
  const res = await serve(h, ctx);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${body}`);
  await tick();
  return res.headers.get('x-upstream') ?? '?';
}

const inFlight = (): number => DIALS.reduce((n, d) => n + hostState(d).numRequests, 0);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

async function seq(h: Handler, n: number, o: Hit = {}): Promise<string> {
  let s = '';
  for (let i = 0; i < n; i++) s += await hit(h, o);
  return s;
}

function counts(s: string): Record<string, number> {
  const c: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (const ch of s) c[ch] = (c[ch] ?? 0) + 1;
  return c;
}

/** Rendezvous hashing as Caddy's hostByHashing: highest xxhash64(dial + key) among `dials`, earlier wins a tie. */
function expected(key: string, dials = DIALS): string {
  let best = '';
  let bestHash = -1n;
  for (const d of dials) {
    const h = xxhash64(d + key);
    if (h > bestHash) {
      bestHash = h;
      best = d;
    }
  }
  return NAME[best];
}

/**
 * Keeps one request in flight to `dial` (through a handler of its own: in-flight counts are per address, shared by
 * every handler of the isolate, as Caddy's are) until `release` resolves; the upstream delays its answer.
 */
async function holdBusy(dial: string, ms = 1500): Promise<{ release: () => Promise<void> }> {
  const holder = proxy({ upstreams: [{ dial }] });
  const before = hostState(dial).numRequests;
  const pending = serve(holder, makeCtx(new Request(`http://site.test/?delay=${ms}`)));
  await until(() => hostState(dial).numRequests === before + 1);
  return {
    release: async () => {
      // still held when the test's requests were done, else the test proved nothing
      expect(hostState(dial).numRequests).toBeGreaterThan(before);
      await (await pending).text();
    },
  };
}

describe('round_robin', () => {
  it('goes around in order, starting at the second upstream (counter incremented before use)', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'round_robin' } } });
    expect(await seq(h, 9)).toBe('bcabcabca');
  });

  it('skips an upstream that is full (max_requests) and takes it back when it frees', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B, max_requests: 1 }, { dial: C }],
      load_balancing: { selection_policy: { policy: 'round_robin' } },
    });
    const busy = await holdBusy(B);
    // counter 1 → b is full → 2 → c; 3 → a; 4 → b full → 5 → c; …
    expect(await seq(h, 6)).toBe('cacaca');
    await busy.release();
    expect(await seq(h, 3)).toBe('bca');
  });
});

describe('weighted_round_robin', () => {
  it('weights 3 2 1: the exact bucket sequence, and 30/20/10 of 60 requests', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: { selection_policy: { policy: 'weighted_round_robin', weights: [3, 2, 1] } },
    });
    // counter 1..6 mod 6 → 1,2 in [0,3) a; 3,4 in [3,5) b; 5 in [5,6) c; 0 a
    const first = await seq(h, 12);
    expect(first).toBe('aabbca'.repeat(2));
    const rest = await seq(h, 48);
    expect(counts(first + rest)).toEqual({ a: 30, b: 20, c: 10 });
  });

  it('a zero weight never receives traffic; 1 2 over the others gives 1:2', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: { selection_policy: { policy: 'weighted_round_robin', weights: [0, 1, 2] } },
    });
    const s = await seq(h, 30);
    expect(counts(s)).toEqual({ a: 0, b: 10, c: 20 });
    // counter 1 → c, 2 → c, 3 → 0 → b
    expect(s.slice(0, 6)).toBe('ccbccb');
  });

  it('an unavailable upstream shifts the bucket mapping over the remaining ones, as in Caddy', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B, max_requests: 1 }, { dial: C }],
      load_balancing: { selection_policy: { policy: 'weighted_round_robin', weights: [3, 2, 1] } },
    });
    const busy = await holdBusy(B);
    // list = [a, c]; bucket 0 → a, bucket 1 → c, bucket 2 → list[2 % 2] = a
    // counters 1..6: buckets 0 0 1 1 2 0 → a a c c a a
    expect(await seq(h, 6)).toBe('aaccaa');
    await busy.release();
    expect(await seq(h, 6)).toBe('aabbca');
  });
});

describe('random', () => {
  it('spreads uniformly: each of three upstreams gets 60–140 of 300 requests', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'random' } } });
    const c = counts(await seq(h, 300));
    for (const n of Object.values(c)) {
      expect(n).toBeGreaterThanOrEqual(60);
      expect(n).toBeLessThanOrEqual(140);
    }
  });

  it('is the default policy', async () => {
    const h = proxy({ upstreams: ups() });
    const c = counts(await seq(h, 150));
    for (const n of Object.values(c)) expect(n).toBeGreaterThanOrEqual(20);
  });
});

describe('random_choose', () => {
  // Caddy's Select: Algorithm R fills the reservoir with the first `choose` available upstreams, later ones replace a
  // random slot with probability choose/seen; leastRequests then returns the first idle upstream of the reservoir.
  // So with everyone idle, choose 2 over a, b, c picks slot 0: a (2/3) or c when c replaced it (1/3), never b.

  it('with every upstream idle: slot 0 of the sample, a about 2/3 and c about 1/3, b never', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'random_choose', choose: 2 } } });
    const c = counts(await seq(h, 240));
    expect(c.b).toBe(0);
    expect(c.a).toBeGreaterThanOrEqual(120); // expected 160, sd 7.3
    expect(c.a).toBeLessThanOrEqual(200);
    expect(c.c).toBe(240 - c.a);
  });

  it('never picks a busy upstream while an idle one is in the sample, and spreads over the idle ones', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'random_choose', choose: 2 } } });
    const busy = await holdBusy(A);
    // samples [a,b] → b, [c,b] → c, [a,c] → c: every sample has an idle upstream
    const c = counts(await seq(h, 90));
    await busy.release();
    expect(c.a).toBe(0);
    expect(c.b).toBeGreaterThanOrEqual(10); // expected 30
    expect(c.c).toBeGreaterThanOrEqual(40); // expected 60
  });

  it('with no idle upstream, leastRequests is not a strict minimum (Caddy HEAD): the busiest still gets about 1/3', async () => {
    // a has 2 in flight, b and c 1 each. leastRequests appends an upstream whenever its count is <= the best so far,
    // so sample [a,b] picks a or b, [c,b] c or b, [a,c] a or c: each 1/3. A strict minimum would never pick a.
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'random_choose', choose: 2 } } });
    const held = [await holdBusy(A), await holdBusy(A), await holdBusy(B), await holdBusy(C)];
    const c = counts(await seq(h, 90));
    await Promise.all(held.map((b) => b.release()));
    for (const n of Object.values(c)) {
      expect(n).toBeGreaterThanOrEqual(12); // expected 30 each, sd 4.5
      expect(n).toBeLessThanOrEqual(48);
    }
  });

  it('choose 3 over three upstreams samples them all: the idle one always wins', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'random_choose', choose: 3 } } });
    const busyA = await holdBusy(A);
    const busyB = await holdBusy(B);
    const s = await seq(h, 20);
    await Promise.all([busyA.release(), busyB.release()]);
    expect(s).toBe('c'.repeat(20));
  });
});

describe('least_conn', () => {
  it('sends new requests to the idle upstreams while one is held by a slow request', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'least_conn' } } });
    const busy = await holdBusy(A);
    const c = counts(await seq(h, 60));
    await busy.release();
    expect(c.a).toBe(0);
    // b and c tie at 0 in flight: broken at random
    expect(c.b).toBeGreaterThanOrEqual(10);
    expect(c.c).toBeGreaterThanOrEqual(10);
  });

  it('with two upstreams busy, everything goes to the third; once freed, all three share again', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'least_conn' } } });
    const busyA = await holdBusy(A);
    const busyC = await holdBusy(C);
    expect(await seq(h, 20)).toBe('b'.repeat(20));
    await Promise.all([busyA.release(), busyC.release()]);
    const c = counts(await seq(h, 90));
    for (const n of Object.values(c)) expect(n).toBeGreaterThanOrEqual(10);
  });

  it('counts its own in-flight requests: overlapping slow requests spread one per upstream', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'least_conn' } } });
    const pending: Array<Promise<string>> = [];
    for (let i = 1; i <= 3; i++) {
      pending.push(hit(h, { url: 'http://site.test/?delay=500' }));
      await until(() => inFlight() === i); // chosen and counted before the next one is chosen
    }
    expect((await Promise.all(pending)).sort().join('')).toBe('abc');
  });
});

describe('hash policies: same key, same upstream; the one rendezvous hashing predicts', () => {
  const KEYS = Array.from({ length: 40 }, (_, i) => `key-${i}`);

  /** Sends each key `times` times; every pick must equal the prediction; returns the distinct upstreams used. */
  async function sticky(
    h: Handler,
    request: (key: string) => Hit,
    keyOf: (key: string) => string,
    times = 5,
  ): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const key of KEYS) {
      const want = expected(keyOf(key));
      for (let i = 0; i < times; i++) expect(await hit(h, request(key)), `key ${key}, request ${i}`).toBe(want);
      seen.add(want);
    }
    return seen;
  }

  it('ip_hash: the peer address (port stripped)', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'ip_hash' } } });
    const ip = (k: string) => `198.51.100.${KEYS.indexOf(k) + 1}`;
    const seen = await sticky(h, (k) => ({ ip: ip(k) }), ip);
    expect(seen.size).toBe(3);
    // the peer, not a client_ip var
    const key = ip('key-0');
    expect(await hit(h, { ip: `${key}:4242`, vars: { client_ip: '192.0.2.77' } })).toBe(expected(key));
  });

  it('client_ip_hash: the client_ip var (trusted-proxy aware), whatever the peer', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'client_ip_hash' } } });
    const ip = (k: string) => `192.0.2.${KEYS.indexOf(k) + 1}`;
    let n = 0;
    const seen = await sticky(h, (k) => ({ ip: `10.0.0.${(n++ % 5) + 1}`, vars: { client_ip: ip(k) } }), ip);
    expect(seen.size).toBe(3);
  });

  it('uri_hash: path and query the upstream receives', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'uri_hash' } } });
    const uri = (k: string) => `/items/${k}?v=1`;
    const seen = await sticky(h, (k) => ({ url: `http://site.test${uri(k)}` }), uri);
    expect(seen.size).toBe(3);
  });

  it('query: every value of the key joined by ","', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'query', key: 'user' } } });
    const seen = await sticky(
      h,
      (k) => ({ url: `http://site.test/x?other=${Math.random()}&user=${k}&user=2` }),
      (k) => `${k},2`,
    );
    expect(seen.size).toBe(3);
  });

  it('header: the first value of the field', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: { selection_policy: { policy: 'header', field: 'X-Tenant' } },
    });
    const seen = await sticky(
      h,
      (k) => ({ init: { headers: { 'x-tenant': k, 'x-noise': String(Math.random()) } } }),
      (k) => k,
    );
    expect(seen.size).toBe(3);
  });

  it('a key whose upstream is full moves to its next-ranked upstream, and comes back when it frees', async () => {
    const key = 'tenant-7';
    const first = DIALS.find((d) => NAME[d] === expected(key))!;
    const rest = DIALS.filter((d) => d !== first);
    const h = proxy({
      upstreams: DIALS.map((dial) => ({ dial, max_requests: 1 })),
      load_balancing: { selection_policy: { policy: 'header', field: 'X-Tenant' } },
    });
    const req = { init: { headers: { 'x-tenant': key } } };
    expect(await hit(h, req)).toBe(NAME[first]);
    const busy = await holdBusy(first);
    // only the held upstream's keys move (rendezvous): the same key now goes to the best of the remaining two
    expect(await seq(h, 5, req)).toBe(expected(key, rest).repeat(5));
    await busy.release();
    expect(await seq(h, 5, req)).toBe(NAME[first].repeat(5));
  });
});

describe('cookie', () => {
  async function cookieValue(secret: string, dial: string): Promise<string> {
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(dial)));
    return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function placed(h: Handler, cookie?: string): Promise<{ name: string; setCookie: string | null }> {
    const ctx = makeCtx(new Request('http://site.test/', cookie ? { headers: { cookie } } : {}));
    const res = await serve(h, ctx);
    expect(res.status).toBe(200);
    await res.text();
    return { name: res.headers.get('x-upstream') ?? '?', setCookie: res.headers.get('set-cookie') };
  }

  it('new clients are placed by the fallback (round_robin here) and then stay where their cookie says', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: {
        selection_policy: { policy: 'cookie', name: 'sticky', secret: 's3cret', fallback: { policy: 'round_robin' } },
      },
    });
    const clients: Array<{ name: string; cookie: string }> = [];
    for (let i = 0; i < 6; i++) {
      const r = await placed(h);
      const value = /^sticky=([0-9a-f]{64});/.exec(r.setCookie ?? '')?.[1];
      expect(value).toBeDefined();
      const dial = DIALS.find((d) => NAME[d] === r.name)!;
      expect(value).toBe(await cookieValue('s3cret', dial));
      clients.push({ name: r.name, cookie: `sticky=${value}` });
    }
    expect(clients.map((c) => c.name).join('')).toBe('bcabca');
    // 10 more requests per client, interleaved: each stays put and gets no new cookie
    for (let round = 0; round < 10; round++) {
      for (const c of clients) {
        const r = await placed(h, `theme=dark; ${c.cookie}`);
        expect(r.name).toBe(c.name);
        expect(r.setCookie).toBeNull();
      }
    }
  });

  it('an unknown cookie value is placed again by the fallback (default random) and gets a fresh cookie', async () => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: { policy: 'cookie' } } });
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const r = await placed(h, 'lb=0000');
      expect(r.setCookie).toBe(
        `lb=${await cookieValue('\0', DIALS.find((d) => NAME[d] === r.name)!)}; Path=/; HttpOnly; SameSite=Lax`,
      );
      seen.add(r.name);
    }
    expect(seen.size).toBe(3);
  });
});

describe('fallback when the key is absent', () => {
  it('query without the key: the fallback round_robin sequence; with it: the hash', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: { selection_policy: { policy: 'query', key: 'user', fallback: { policy: 'round_robin' } } },
    });
    expect(await seq(h, 6, { url: 'http://site.test/?other=1' })).toBe('bcabca');
    // an empty value is absent too
    expect(await seq(h, 3, { url: 'http://site.test/?user=' })).toBe('bca');
    expect(await seq(h, 3, { url: 'http://site.test/?user=u1' })).toBe(expected('u1').repeat(3));
  });

  it('header absent: fallback first (and first skips a full upstream)', async () => {
    const h = proxy({
      upstreams: [{ dial: A, max_requests: 1 }, { dial: B }, { dial: C }],
      load_balancing: { selection_policy: { policy: 'header', field: 'X-Tenant', fallback: { policy: 'first' } } },
    });
    expect(await seq(h, 5)).toBe('aaaaa');
    const busy = await holdBusy(A);
    expect(await seq(h, 5)).toBe('bbbbb');
    await busy.release();
    expect(await seq(h, 2, { init: { headers: { 'x-tenant': 'acme' } } })).toBe(expected('acme').repeat(2));
  });

  it('nested fallbacks: header → query → round_robin', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: {
        selection_policy: {
          policy: 'header',
          field: 'X-Tenant',
          fallback: { policy: 'query', key: 'u', fallback: { policy: 'round_robin' } },
        },
      },
    });
    expect(await seq(h, 3)).toBe('bca');
    expect(await hit(h, { url: 'http://site.test/?u=zed' })).toBe(expected('zed'));
    expect(await hit(h, { url: 'http://site.test/?u=zed', init: { headers: { 'x-tenant': 'acme' } } })).toBe(
      expected('acme'),
    );
    expect(await seq(h, 3)).toBe('bca');
  });

  it('no fallback given: random over all upstreams', async () => {
    const h = proxy({
      upstreams: ups(),
      load_balancing: { selection_policy: { policy: 'header', field: 'X-Tenant' } },
    });
    const c = counts(await seq(h, 150));
    for (const n of Object.values(c)) expect(n).toBeGreaterThanOrEqual(20);
  });
});

describe('least_conn as a fallback counts load like least_conn itself', () => {
  const FALLBACK_LEAST_CONN: Array<[string, Record<string, unknown>]> = [
    ['header', { policy: 'header', field: 'X-Key', fallback: { policy: 'least_conn' } }],
    ['query', { policy: 'query', key: 'k', fallback: { policy: 'least_conn' } }],
    ['cookie', { policy: 'cookie', fallback: { policy: 'least_conn' } }],
    [
      'cookie → header → least_conn',
      { policy: 'cookie', fallback: { policy: 'header', field: 'X-Key', fallback: { policy: 'least_conn' } } },
    ],
  ];

  it.each(FALLBACK_LEAST_CONN)('%s: an upstream still streaming a response gets no new request', async (_, policy) => {
    const h = proxy({ upstreams: ups(), load_balancing: { selection_policy: policy } });
    // Headers arrive at once; the body is held open while the other requests are chosen.
    const streaming = await serve(h, makeCtx(new Request('http://site.test/stream?wait=1500')));
    const busy = streaming.headers.get('x-upstream')!;
    const c = counts(await seq(h, 30));
    await streaming.text();
    expect(c[busy]).toBe(0);
  });
});
