import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { resolvePlaceholder } from '../../src/http/placeholders/index.ts';
import { resetHostStates } from '../../src/proxy/passive-health.ts';
import { ProxyError, roundTrip, type Attempt } from '../../src/proxy/round-trip.ts';
import { compileTransport, DEFAULT_DIAL_TIMEOUT_MS } from '../../src/proxy/transport.ts';
import type { DialTarget } from '../../src/proxy/upstreams.ts';
import { type Echo, makeCtx, proxy, serve } from './proxy-helpers.ts';

// transport http { dial_timeout } on fetch(), against real loopback upstreams: a port whose TCP handshake never
// completes (blackhole.ts, the dial-timeout case) and echo servers that answer late (`?delay=ms`, the slow case that
// must stay a slow response, or a 504 with response_header_timeout). Caddy: the default dial timeout is 3 s, a zero
// one means the default, a negative one fails every dial at once; a dial timeout is a dial error (502, always safe
// to retry), a response header timeout a 504.

const ports = inject('proxyUpstreams');
const A = `127.0.0.1:${ports.echo[0]}`;
const HOLE = `127.0.0.1:${ports.blackhole}`;

beforeEach(() => resetHostStates());
afterEach(() => vi.restoreAllMocks());

function tcp(port: number): DialTarget {
  return { kind: 'tcp', host: '127.0.0.1', port: String(port) };
}

function attempt(target: DialTarget, over: Partial<Attempt> = {}): Attempt {
  return {
    target,
    https: false,
    uri: '/',
    method: 'GET',
    headers: new Headers(),
    body: { kind: 'none' },
    timeoutMs: 0,
    classify: false,
    ...over,
  };
}

/** Runs one round trip; returns what it ended with and how long it took. */
async function timed(a: Attempt): Promise<{ ms: number; res?: Response; err?: ProxyError }> {
  const t0 = Date.now();
  try {
    const res = await roundTrip(makeCtx(new Request(`http://site.test${a.uri}`)), a);
    return { ms: Date.now() - t0, res };
  } catch (e) {
    if (!(e instanceof ProxyError)) throw e;
    return { ms: Date.now() - t0, err: e };
  }
}

describe('compileTransport dial_timeout', () => {
  it('defaults to 3 s when the transport or the field is absent, or zero (Caddy: zero means the default)', () => {
    expect(DEFAULT_DIAL_TIMEOUT_MS).toBe(3000);
    expect(compileTransport(undefined, 't').dialTimeoutMs).toBe(3000);
    expect(compileTransport({ protocol: 'http' }, 't').dialTimeoutMs).toBe(3000);
    expect(compileTransport({ protocol: 'http', dial_timeout: 0 }, 't').dialTimeoutMs).toBe(3000);
    expect(compileTransport({ protocol: 'http', dial_timeout: '0s' }, 't').dialTimeoutMs).toBe(3000);
  });

  it('takes JSON nanoseconds or a duration string; keeps a negative value', () => {
    expect(compileTransport({ protocol: 'http', dial_timeout: 250_000_000 }, 't').dialTimeoutMs).toBe(250);
    expect(compileTransport({ protocol: 'http', dial_timeout: '1.5s' }, 't').dialTimeoutMs).toBe(1500);
    expect(compileTransport({ protocol: 'http', dial_timeout: -1_000_000_000 }, 't').dialTimeoutMs).toBe(-1000);
    expect(() => compileTransport({ protocol: 'http', dial_timeout: 'soon' }, 't')).toThrow(/dial_timeout/);
  });
});

describe('a handshake that never completes', () => {
  it('is a dial error (502, retryable) soon after dial_timeout, not a hang', async () => {
    const r = await timed(attempt(tcp(ports.blackhole), { dialTimeoutMs: 200 }));
    expect(r.err?.kind).toBe('dial');
    expect(r.err?.status).toBe(502);
    expect(r.err?.message).toBe(`dial tcp ${HOLE}: i/o timeout`);
    // dial_timeout, then a probe bounded by min(dial_timeout, 1 s)
    expect(r.ms).toBeGreaterThanOrEqual(190);
    expect(r.ms).toBeLessThan(1000);
  });

  it('for a POST to an upstream that answered before (a pooled connection may have carried it): a transport error', async () => {
    const post = {
      method: 'POST',
      body: { kind: 'bytes', bytes: new TextEncoder().encode('x') },
      dialTimeoutMs: 200,
    } as const;
    const r = await timed(attempt(tcp(ports.blackhole), { ...post, answeredBefore: true }));
    expect(r.err?.kind).toBe('transport'); // not resent to another upstream unless lb_retry_match says so
    expect(r.err?.status).toBe(502);
    expect(r.err?.message).toBe(`dial tcp ${HOLE}: i/o timeout`);
    expect(
      (await timed(attempt(tcp(ports.blackhole), { ...post, method: 'PUT', answeredBefore: true }))).err?.kind,
    ).toBe('dial'); // idempotent
    expect((await timed(attempt(tcp(ports.blackhole), post))).err?.kind).toBe('dial'); // never answered: no pooled connection
  });

  it('is a dial error even when response_header_timeout would pass first', async () => {
    const r = await timed(attempt(tcp(ports.blackhole), { dialTimeoutMs: 300, timeoutMs: 100 }));
    expect(r.err?.kind).toBe('dial');
    expect(r.err?.status).toBe(502);
    expect(r.ms).toBeLessThan(1000);
  });

  it('a negative dial_timeout fails at once, without touching a streamed body', async () => {
    const body = { kind: 'stream' as const, stream: new Blob(['x']).stream(), used: false };
    const r = await timed(attempt(tcp(ports.echo[0]), { dialTimeoutMs: -1000, method: 'POST', body }));
    expect(r.err?.kind).toBe('dial');
    expect(r.err?.message).toBe(`dial tcp ${A}: i/o timeout`);
    expect(r.ms).toBeLessThan(100);
    expect(body.used).toBe(false);
  });

  it('applies to tcp upstreams only: a service binding has no dial phase', async () => {
    let release!: () => void;
    const env = { SLOW: { fetch: () => new Promise<Response>((r) => (release = () => r(new Response('late')))) } };
    const a = attempt({ kind: 'service', name: 'SLOW' }, { dialTimeoutMs: 50 });
    const pending = roundTrip(makeCtx(new Request('http://site.test/'), '203.0.113.9', env), a);
    await new Promise((r) => setTimeout(r, 300));
    release();
    expect(await (await pending).text()).toBe('late');
  });
});

describe('an upstream that accepts but answers late', () => {
  it('is waited for past dial_timeout (the probe connects)', async () => {
    const r = await timed(attempt(tcp(ports.echo[0]), { dialTimeoutMs: 100, uri: '/?delay=600' }));
    expect(r.err).toBeUndefined();
    expect(r.res?.status).toBe(200);
    expect(r.res?.headers.get('x-upstream')).toBe('a');
    expect(r.ms).toBeGreaterThanOrEqual(550);
  });

  it('still gets response_header_timeout: 504 at that time, not a dial error', async () => {
    const r = await timed(attempt(tcp(ports.echo[0]), { dialTimeoutMs: 100, timeoutMs: 400, uri: '/?delay=2000' }));
    expect(r.err?.kind).toBe('transport');
    expect(r.err?.status).toBe(504);
    expect(r.ms).toBeGreaterThanOrEqual(380);
    expect(r.ms).toBeLessThan(1500);
  });

  it('gets 504 when response_header_timeout passes before dial_timeout', async () => {
    const r = await timed(attempt(tcp(ports.echo[0]), { dialTimeoutMs: 1000, timeoutMs: 150, uri: '/?delay=2000' }));
    expect(r.err?.status).toBe(504);
    expect(r.ms).toBeLessThan(900);
  });
});

describe('fast responses', () => {
  it('cost one setTimeout/clearTimeout pair and no probe', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    const r = await timed(attempt(tcp(ports.echo[0])));
    expect(r.res?.status).toBe(200);
    await r.res?.body?.cancel();
    // the probe would set a timer of its own
    expect(set).toHaveBeenCalledTimes(1);
    expect(set.mock.calls[0][1]).toBe(DEFAULT_DIAL_TIMEOUT_MS);
    expect(clear).toHaveBeenCalledTimes(1);
  });

  it('with response_header_timeout too: still a single timer, at the earlier deadline', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const r = await timed(attempt(tcp(ports.echo[0]), { timeoutMs: 10_000 }));
    expect(r.res?.status).toBe(200);
    await r.res?.body?.cancel();
    expect(set).toHaveBeenCalledTimes(1);
    expect(set.mock.calls[0][1]).toBe(DEFAULT_DIAL_TIMEOUT_MS);
  });

  it('through reverse_proxy: the first attempt to an upstream is watched, the next within a second are not', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const set = vi.spyOn(globalThis, 'setTimeout');
    const first = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(first.status).toBe(200);
    await first.body?.cancel();
    expect(set.mock.calls.filter((c) => c[1] === DEFAULT_DIAL_TIMEOUT_MS)).toHaveLength(1);
    set.mockClear();
    // The upstream just answered: the attempt is taken to reuse a pooled connection, which Caddy does not time either.
    for (let i = 0; i < 3; i++) {
      const res = await serve(h, makeCtx(new Request('http://site.test/')));
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    expect(set.mock.calls.filter((c) => c[1] === DEFAULT_DIAL_TIMEOUT_MS)).toHaveLength(0);
  });

  it('to a service binding without response_header_timeout: no timer at all', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const env = { SVC: { fetch: async () => new Response('ok') } };
    const res = await roundTrip(
      makeCtx(new Request('http://site.test/'), '203.0.113.9', env),
      attempt({ kind: 'service', name: 'SVC' }),
    );
    expect(await res.text()).toBe('ok');
    expect(set).not.toHaveBeenCalled();
  });
});

describe('through reverse_proxy (Caddy defaults: no transport block)', () => {
  it('a dial timeout is retried like any dial error: a POST goes to the next upstream with its whole body', async () => {
    // round_robin's first pick is the second upstream (the blackhole); after the 3 s default dial timeout the retry
    // goes to the first. A response-level failure would not be retried for a POST.
    const h = proxy({
      upstreams: [{ dial: A }, { dial: HOLE }],
      load_balancing: { selection_policy: { policy: 'round_robin' }, retries: 1 },
    });
    const ctx = makeCtx(new Request('http://site.test/p', { method: 'POST', body: 'payload-123' }));
    const t0 = Date.now();
    const res = await serve(h, ctx);
    const ms = Date.now() - t0;
    expect(res.status).toBe(200);
    const e = (await res.json()) as Echo;
    expect(e.id).toBe('a');
    expect(e.body).toBe('payload-123');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.retries')).toBe('1');
    expect(ms).toBeGreaterThanOrEqual(2900);
    expect(ms).toBeLessThan(5500);
  }, 15_000);

  it('without retries the client gets 502', async () => {
    const h = proxy({ upstreams: [{ dial: HOLE }], transport: { protocol: 'http', response_header_timeout: '10s' } });
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('i/o timeout');
  }, 15_000);

  it('a configured dial_timeout reaches the attempt', async () => {
    const h = proxy({ upstreams: [{ dial: HOLE }], transport: { protocol: 'http', dial_timeout: '200ms' } });
    const t0 = Date.now();
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(502);
    expect(Date.now() - t0).toBeLessThan(1500);
  }, 15_000);
});
