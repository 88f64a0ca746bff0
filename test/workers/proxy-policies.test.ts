import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileSelectionPolicy } from '../../src/proxy/policies/index.ts';
import type { HostState, SelectRequest, SelectionEffects, Upstream } from '../../src/proxy/types.ts';
import { makeCtx } from './proxy-helpers.ts';

// Pure selection. Hash expectations were computed outside this code base: argmax over upstreams of
// XXH64(dial + key) with the C reference library (libxxhash), HMAC-SHA256 with Python's hmac module.

interface FakeUpstream extends Upstream {
  up: boolean;
  host: HostState;
}

function pool(n = 4): FakeUpstream[] {
  return Array.from({ length: n }, (_, i) => {
    const u: FakeUpstream = {
      dial: `10.0.0.${i + 1}:80`,
      maxRequests: 0,
      host: { numRequests: 0, remoteRequests: 0, failExpiries: [], lastAnswerAt: 0 },
      up: true,
      healthy: () => u.up,
      available: () => u.up,
    };
    return u;
  });
}

function req(url = 'http://example.com/', init: RequestInit = {}, remoteIp = '192.168.1.1'): SelectRequest {
  const ctx = makeCtx(new Request(url, init), remoteIp);
  return {
    ctx,
    uri: ctx.url.pathname + ctx.url.search,
    query: ctx.url.searchParams,
    headers: ctx.request.headers,
    host: ctx.url.host,
  };
}

const fx = (): SelectionEffects => ({ setCookies: [] });

async function pick(policy: unknown, p: Upstream[], r = req(), e = fx()): Promise<string | undefined> {
  return (await compileSelectionPolicy(policy, 'test')(p, r, e))?.dial;
}

afterEach(() => vi.restoreAllMocks());

describe('hash policies (rendezvous over xxhash64)', () => {
  it('ip_hash picks the highest xxhash64(dial + ip), then the next highest when that one is down', async () => {
    const p = pool();
    expect(await pick({ policy: 'ip_hash' }, p, req(undefined, {}, '192.168.1.1'))).toBe('10.0.0.3:80');
    expect(await pick({ policy: 'ip_hash' }, p, req(undefined, {}, '203.0.113.7'))).toBe('10.0.0.2:80');
    p[2].up = false;
    expect(await pick({ policy: 'ip_hash' }, p, req(undefined, {}, '192.168.1.1'))).toBe('10.0.0.4:80');
  });

  it('ip_hash strips a port from the peer address', async () => {
    expect(await pick({ policy: 'ip_hash' }, pool(), req(undefined, {}, '192.168.1.1:5555'))).toBe('10.0.0.3:80');
  });

  it('client_ip_hash uses the client_ip var when present', async () => {
    const r = req(undefined, {}, '10.9.9.9');
    r.ctx.vars.set('client_ip', '203.0.113.7');
    expect(await pick({ policy: 'client_ip_hash' }, pool(), r)).toBe('10.0.0.2:80');
  });

  it('uri_hash hashes path and query', async () => {
    expect(await pick({ policy: 'uri_hash' }, pool(), req('http://example.com/foo?bar=1'))).toBe('10.0.0.3:80');
    expect(await pick({ policy: 'uri_hash' }, pool(), req('http://example.com/'))).toBe('10.0.0.2:80');
  });

  it('header hashes the first value; Host uses the request host', async () => {
    expect(
      await pick(
        { policy: 'header', field: 'X-Tenant' },
        pool(),
        req(undefined, { headers: { 'x-tenant': 'tenant-42' } }),
      ),
    ).toBe('10.0.0.1:80');
    expect(
      await pick({ policy: 'header', field: 'X-Tenant' }, pool(), req(undefined, { headers: { 'x-tenant': 'abc' } })),
    ).toBe('10.0.0.1:80');
    const p = pool();
    p[0].up = false;
    expect(
      await pick({ policy: 'header', field: 'X-Tenant' }, p, req(undefined, { headers: { 'x-tenant': 'abc' } })),
    ).toBe('10.0.0.3:80');
    expect(await pick({ policy: 'header', field: 'Host' }, pool(), req('http://example.com/'))).toBe('10.0.0.1:80');
  });

  it('query joins all values of the key with commas', async () => {
    expect(await pick({ policy: 'query', key: 'u' }, pool(), req('http://example.com/?u=u1&u=u2'))).toBe('10.0.0.1:80');
    expect(await pick({ policy: 'query', key: 'u' }, pool(), req('http://example.com/?u=abc'))).toBe('10.0.0.1:80');
  });

  it('an empty key goes to the fallback policy (default random, here first)', async () => {
    const p = pool();
    p[0].up = false;
    expect(await pick({ policy: 'query', key: 'u', fallback: { policy: 'first' } }, p)).toBe('10.0.0.2:80');
    expect(await pick({ policy: 'header', field: 'X-Missing', fallback: { policy: 'first' } }, p)).toBe('10.0.0.2:80');
    vi.spyOn(Math, 'random').mockReturnValue(0);
    // random over 3 available with random() = 0: every reservoir step replaces, so the last available one wins
    expect(await pick({ policy: 'query', key: 'u' }, p)).toBe('10.0.0.4:80');
  });

  it('returns nothing when no upstream is available', async () => {
    const p = pool();
    for (const u of p) u.up = false;
    for (const policy of ['ip_hash', 'uri_hash', 'first', 'random', 'least_conn', 'round_robin', 'random_choose']) {
      expect(await pick({ policy }, p)).toBeUndefined();
    }
  });
});

describe('cookie policy', () => {
  it("places a new client with the fallback and sets Caddy's cookie", async () => {
    const e = fx();
    expect(await pick({ policy: 'cookie', fallback: { policy: 'first' } }, pool(), req(), e)).toBe('10.0.0.1:80');
    expect(e.setCookies).toEqual([
      'lb=8f739746d46f6017b4bde24ace4c68cb3c3e881ad280882383b5332dcfbcd789; Path=/; HttpOnly; SameSite=Lax',
    ]);
  });

  it('routes a known cookie (HMAC with the secret) to its upstream without setting a cookie', async () => {
    const e = fx();
    const r = req(undefined, {
      headers: { cookie: 'other=1; sticky=5bc540db236f88b3f0d05c4c1a007ec4a61bec763a4ee5157827bb6786c82aa7' },
    });
    expect(
      await pick({ policy: 'cookie', name: 'sticky', secret: 's3cret', fallback: { policy: 'first' } }, pool(), r, e),
    ).toBe('10.0.0.2:80');
    expect(e.setCookies).toEqual([]);
  });

  it('re-places a client whose upstream is down; https adds Secure and SameSite=None, max_age Max-Age', async () => {
    const p = pool();
    p[1].up = false;
    const e = fx();
    const r = req('https://example.com/', {
      headers: { cookie: 'sticky=5bc540db236f88b3f0d05c4c1a007ec4a61bec763a4ee5157827bb6786c82aa7' },
    });
    const policy = { policy: 'cookie', name: 'sticky', secret: 's3cret', max_age: '1h', fallback: { policy: 'first' } };
    expect(await pick(policy, p, r, e)).toBe('10.0.0.1:80');
    expect(e.setCookies).toHaveLength(1);
    expect(e.setCookies[0]).toMatch(/^sticky=[0-9a-f]{64}; Path=\/; Max-Age=3600; HttpOnly; Secure; SameSite=None$/);
  });
});

describe('counter and load policies', () => {
  it('round_robin increments before use: the first request goes to the second upstream', async () => {
    const policy = compileSelectionPolicy({ policy: 'round_robin' }, 'test');
    const p = pool(3);
    const seq: string[] = [];
    for (let i = 0; i < 4; i++) seq.push((await policy(p, req(), fx()))!.dial);
    expect(seq).toEqual(['10.0.0.2:80', '10.0.0.3:80', '10.0.0.1:80', '10.0.0.2:80']);
    p[2].up = false;
    expect((await policy(p, req(), fx()))!.dial).toBe('10.0.0.1:80');
  });

  it('weighted_round_robin 5 1 gives the first upstream five of every six requests', async () => {
    const policy = compileSelectionPolicy({ policy: 'weighted_round_robin', weights: [5, 1] }, 'test');
    const p = pool(2);
    const seq: string[] = [];
    for (let i = 0; i < 12; i++) seq.push((await policy(p, req(), fx()))!.dial.slice(7, 8));
    // counter 1..12 mod 6 → buckets [0,5) and [5,6): the 5th and 11th requests go to the second upstream
    expect(seq.join('')).toBe('111121111121');
  });

  it('weighted_round_robin with a zero weight never picks that upstream', async () => {
    const policy = compileSelectionPolicy({ policy: 'weighted_round_robin', weights: [0, 1, 2] }, 'test');
    const p = pool(3);
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) seen.add((await policy(p, req(), fx()))!.dial);
    expect([...seen].sort()).toEqual(['10.0.0.2:80', '10.0.0.3:80']);
  });

  it('first skips unavailable upstreams', async () => {
    const p = pool();
    p[0].up = false;
    p[1].up = false;
    expect(await pick({ policy: 'first' }, p)).toBe('10.0.0.3:80');
  });

  it('least_conn picks the fewest in-flight requests', async () => {
    const p = pool();
    p[0].host.numRequests = 3;
    p[1].host.numRequests = 1;
    p[2].host.numRequests = 2;
    p[3].host.numRequests = 5;
    expect(await pick({ policy: 'least_conn' }, p)).toBe('10.0.0.2:80');
  });

  it('random_choose takes an idle upstream from its sample', async () => {
    const p = pool(2);
    p[0].host.numRequests = 4;
    expect(await pick({ policy: 'random_choose', choose: 2 }, p)).toBe('10.0.0.2:80');
  });

  it('random only returns available upstreams', async () => {
    const p = pool();
    p[0].up = p[1].up = p[3].up = false;
    for (let i = 0; i < 10; i++) expect(await pick({ policy: 'random' }, p)).toBe('10.0.0.3:80');
  });
});

describe('policy config errors', () => {
  it('rejects unknown policies and fields', () => {
    expect(() => compileSelectionPolicy({ policy: 'nope' }, 'p')).toThrow(/unknown selection policy/);
    expect(() => compileSelectionPolicy({ policy: 'random', extra: 1 }, 'p')).toThrow(/unsupported field "extra"/);
    expect(() => compileSelectionPolicy({ policy: 'random_choose', choose: 1 }, 'p')).toThrow(/at least 2/);
    expect(() => compileSelectionPolicy({ policy: 'weighted_round_robin', weights: [0, 0] }, 'p')).toThrow(/positive/);
  });
});
