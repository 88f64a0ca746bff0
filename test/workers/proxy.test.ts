import { resolvePlaceholder } from '../../src/http/placeholders/index.ts';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { resetHostStates } from '../../src/proxy/passive-health.ts';
import { type Echo, makeCtx, proxy, serve } from './proxy-helpers.ts';

// reverse_proxy against real loopback upstreams (node http servers from global-setup.ts): what the upstream
// received and what the client gets back.

const ports = inject('proxyUpstreams');
if (!ports)
  throw new Error('loopback upstreams missing: the workers project needs globalSetup test/workers/global-setup.ts');
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const DOWN = `127.0.0.1:${ports.refused}`;

beforeEach(() => resetHostStates());

async function echoOf(res: Response): Promise<Echo> {
  expect(res.headers.get('content-type')).toBe('application/json');
  return (await res.json()) as Echo;
}

describe('dials as Caddy writes them', () => {
  it('an empty host dials the local system, as Go does for `reverse_proxy :PORT`', async () => {
    const res = await serve(
      proxy({ upstreams: [{ dial: `:${ports.echo[0]}` }] }),
      makeCtx(new Request('http://site.test/x')),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('a');
  });

  it('a dial whose network is no network (`reverse_proxy node-ips:80/api/`) compiles and answers 502', async () => {
    const res = await serve(
      proxy({ upstreams: [{ dial: 'node-ips:80/api/:80' }] }),
      makeCtx(new Request('http://site.test/x')),
    );
    expect(res.status).toBe(502);
  });
});

describe('request forwarding', () => {
  it('sends method, path and query to the upstream and returns its response', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const res = await serve(h, makeCtx(new Request('http://site.test/api/items?x=1&y=two')));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('a');
    const e = await echoOf(res);
    expect(e.method).toBe('GET');
    expect(e.url).toBe('/api/items?x=1&y=two');
  });

  it('replaces client X-Forwarded-* from an untrusted peer and adds Via', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const req = new Request('https://site.test/', {
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil' },
    });
    const e = await echoOf(await serve(h, makeCtx(req, '203.0.113.9')));
    expect(e.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(e.headers['x-forwarded-proto']).toBe('https');
    expect(e.headers['x-forwarded-host']).toBe('site.test');
    expect(e.headers.via).toBe('1.1 Caddy');
  });

  it('keeps prior X-Forwarded-* values from a trusted proxy', async () => {
    const h = proxy({ upstreams: [{ dial: A }], trusted_proxies: ['10.0.0.0/8'] });
    const req = new Request('http://site.test/', {
      headers: { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.test' },
    });
    const e = await echoOf(await serve(h, makeCtx(req, '10.1.2.3')));
    expect(e.headers['x-forwarded-for']).toBe('198.51.100.1, 10.1.2.3');
    expect(e.headers['x-forwarded-proto']).toBe('https');
    expect(e.headers['x-forwarded-host']).toBe('public.test');
  });

  it('drops hop-by-hop headers and the fields Connection names', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const req = new Request('http://site.test/', {
      // Connection names a hop-by-hop field (removed anyway) and a private one, in the client's case.
      headers: {
        connection: 'Keep-Alive, X-Private',
        'x-private': 'secret',
        'proxy-authorization': 'Basic x',
        'keep-alive': '5',
        'x-keep': 'yes',
      },
    });
    const e = await echoOf(await serve(h, makeCtx(req)));
    expect(e.headers['x-private']).toBeUndefined();
    expect(e.headers['proxy-authorization']).toBeUndefined();
    expect(e.headers['keep-alive']).toBeUndefined();
    expect(e.headers['x-keep']).toBe('yes');
  });

  it('drops hop-by-hop headers and the fields Connection names from the upstream response (fetch passes them all)', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const hop = [
      'Connection:X-Private',
      'X-Private:1',
      'Keep-Alive:timeout=5',
      'Trailer:X-T',
      'Upgrade:h2c',
      'Proxy-Authenticate:Basic',
      'Proxy-Connection:keep-alive',
      'TE:trailers',
      'Alt-Svc:h3=":443"',
    ];
    const query = [...hop, 'X-Keep:yes'].map((v) => `h=${encodeURIComponent(v)}`).join('&');
    const res = await serve(h, makeCtx(new Request(`http://site.test/?${query}`)));
    for (const v of hop) expect(res.headers.get(v.slice(0, v.indexOf(':'))), v).toBeNull();
    expect(res.headers.get('x-keep')).toBe('yes');
    await res.body?.cancel();
  });

  it('streams a POST body to the upstream', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const req = new Request('http://site.test/upload', { method: 'POST', body: 'hello upstream' });
    const e = await echoOf(await serve(h, makeCtx(req)));
    expect(e.method).toBe('POST');
    expect(e.body).toBe('hello upstream');
  });

  it('applies header_up (with upstream placeholders) and header_down', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      headers: {
        request: {
          set: { 'X-Up': ['port={http.reverse_proxy.upstream.port}'] },
          add: { 'X-Added': ['1'] },
          delete: ['X-Remove'],
        },
        response: { set: { 'X-Down': ['yes'] }, delete: ['Server'] },
      },
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/', { headers: { 'x-remove': 'gone' } })));
    expect(res.headers.get('x-down')).toBe('yes');
    expect(res.headers.get('server')).toBeNull();
    expect(res.headers.get('via')).toBe('1.1 Caddy');
    const e = await echoOf(res);
    expect(e.headers['x-up']).toBe(`port=${ports.echo[0]}`);
    expect(e.headers['x-added']).toBe('1');
    expect(e.headers['x-remove']).toBeUndefined();
  });

  it('rewrite changes the upstream method and URI only', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      rewrite: { method: 'POST', uri: '/internal{http.request.uri.path}?v=2' },
    });
    const ctx = makeCtx(new Request('http://site.test/orig?v=1'));
    const e = await echoOf(await serve(h, ctx));
    expect(e.method).toBe('POST');
    expect(e.url).toBe('/internal/orig?v=2');
    expect(ctx.url.pathname).toBe('/orig');
  });

  it('merges headers set by earlier handlers under the upstream response', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const ctx = makeCtx(new Request('http://site.test/'));
    const { responseHeaderMap } = await import('../../src/http/handlers/response.ts');
    responseHeaderMap(ctx).set('x-early', 'kept');
    responseHeaderMap(ctx).set('server', 'Caddy');
    const res = await serve(h, ctx);
    expect(res.headers.get('x-early')).toBe('kept');
    expect(res.headers.get('server')).toBe('echo');
  });

  it('reaches a service binding for service:NAME upstreams, with the original host', async () => {
    let seen = '';
    const env = {
      API: {
        fetch: async (r: Request) => {
          seen = r.url;
          return new Response('from binding', { status: 201 });
        },
      },
    };
    const h = proxy({ upstreams: [{ dial: 'service:API' }] });
    const res = await serve(h, makeCtx(new Request('https://site.test/p?q=1'), '203.0.113.9', env));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('from binding');
    expect(seen).toBe('https://site.test/p?q=1');
  });

  it('reaches the named Durable Object for durable:BINDING/NAME upstreams, the name expanded per request', async () => {
    const seen: string[] = [];
    const ROOMS = {
      idFromName: (name: string) => ({ name }),
      get: (id: { name: string }) => ({
        fetch: async (r: Request) => {
          seen.push(`${id.name} ${new URL(r.url).pathname}`);
          return new Response(`room ${id.name}`);
        },
      }),
    };
    const h = proxy({ upstreams: [{ dial: 'durable:ROOMS/{room}' }] });
    for (const room of ['lobby', 'kitchen']) {
      const ctx = makeCtx(new Request(`https://site.test/rooms/${room}/messages`), '203.0.113.9', { ROOMS });
      ctx.vars.set('room', room);
      const res = await serve(h, ctx);
      expect(await res.text()).toBe(`room ${room}`);
      expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.hostport')).toBe(`durable:ROOMS/${room}`);
    }
    expect(seen).toEqual(['lobby /rooms/lobby/messages', 'kitchen /rooms/kitchen/messages']);
    // A missing binding is a dial failure: 502.
    expect(
      (await serve(proxy({ upstreams: [{ dial: 'durable:NOPE/x' }] }), makeCtx(new Request('https://site.test/'))))
        .status,
    ).toBe(502);
  });
});

describe('streaming', () => {
  it('returns the response before the upstream finished the body', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const t0 = Date.now();
    const res = await serve(h, makeCtx(new Request('http://site.test/stream?wait=400')));
    const headersAt = Date.now() - t0;
    expect(headersAt).toBeLessThan(350);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('second');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
  });
});

describe('websocket', () => {
  it('passes the upgrade through and hands back the upstream socket', async () => {
    const h = proxy({ upstreams: [{ dial: A }] });
    const req = new Request('http://site.test/ws?room=1', {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    });
    const res = await serve(h, makeCtx(req));
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const got = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data))));
    ws.accept();
    expect(await got).toBe('hello from a /ws?room=1');
    ws.close();
  });
});

describe('failures and status codes', () => {
  it('answers 502 when the upstream refuses the connection', async () => {
    const res = await serve(proxy({ upstreams: [{ dial: DOWN }] }), makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(502);
  });

  it('answers 502 when the upstream resets the connection', async () => {
    const res = await serve(proxy({ upstreams: [{ dial: A }] }), makeCtx(new Request('http://site.test/reset')));
    expect(res.status).toBe(502);
  });

  it('answers 504 when response_header_timeout passes', async () => {
    const h = proxy({ upstreams: [{ dial: A }], transport: { protocol: 'http', response_header_timeout: '100ms' } });
    const res = await serve(h, makeCtx(new Request('http://site.test/?delay=600')));
    expect(res.status).toBe(504);
  });

  it('answers 503 when passive health checks marked every upstream down', async () => {
    const h = proxy({ upstreams: [{ dial: DOWN }], health_checks: { passive: { fail_duration: '10s' } } });
    expect((await serve(h, makeCtx(new Request('http://site.test/')))).status).toBe(502);
    expect((await serve(h, makeCtx(new Request('http://site.test/')))).status).toBe(503);
  });

  it('passes the upstream error status through untouched', async () => {
    const res = await serve(proxy({ upstreams: [{ dial: A }] }), makeCtx(new Request('http://site.test/?status=503')));
    expect(res.status).toBe(503);
    expect(res.headers.get('x-handler-error')).toBeNull();
  });
});

describe('retries and passive health', () => {
  it('without health checks `first` keeps choosing the dead upstream, so retries end in 502', async () => {
    const h = proxy({
      upstreams: [{ dial: DOWN }, { dial: A }],
      load_balancing: { selection_policy: { policy: 'first' }, retries: 2 },
    });
    expect((await serve(h, makeCtx(new Request('http://site.test/')))).status).toBe(502);
  });

  it('with passive checks a failed upstream is skipped on the retry', async () => {
    const h = proxy({
      upstreams: [{ dial: DOWN }, { dial: A }],
      load_balancing: { selection_policy: { policy: 'first' }, retries: 1 },
      health_checks: { passive: { fail_duration: '30s', max_fails: 1 } },
    });
    const ctx = makeCtx(new Request('http://site.test/'));
    const res = await serve(h, ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('a');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.retries')).toBe('1');
  });

  it('retries a POST after a refused connection and replays the whole body', async () => {
    // round_robin's first pick is the second upstream (the dead one), the retry goes to the first
    const h = proxy({
      upstreams: [{ dial: A }, { dial: DOWN }],
      load_balancing: { selection_policy: { policy: 'round_robin' }, retries: 1 },
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/p', { method: 'POST', body: 'payload-123' })));
    expect(res.status).toBe(200);
    const e = await echoOf(res);
    expect(e.body).toBe('payload-123');
    expect(e.headers['content-length']).toBe('11');
  });

  it('does not retry a POST after the upstream received it (connection reset)', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'round_robin' }, retries: 3 },
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/reset', { method: 'POST', body: 'x' })));
    expect(res.status).toBe(502);
  });

  it('lb_try_duration bounds the retrying in time', async () => {
    const h = proxy({ upstreams: [{ dial: DOWN }], load_balancing: { try_duration: '300ms', try_interval: '50ms' } });
    const t0 = Date.now();
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(502);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('unhealthy_status counts responses as failures but still delivers them', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'first' } },
      health_checks: { passive: { fail_duration: '30s', unhealthy_status: [5] } },
    });
    const first = await serve(h, makeCtx(new Request('http://site.test/?status=500')));
    expect(first.status).toBe(500);
    expect(first.headers.get('x-upstream')).toBe('a');
    const second = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(second.headers.get('x-upstream')).toBe('b');
  });

  it('unhealthy_request_count makes a busy upstream full', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'first' } },
      health_checks: { passive: { unhealthy_request_count: 1 } },
    });
    const slow = serve(h, makeCtx(new Request('http://site.test/?delay=300')));
    await new Promise((r) => setTimeout(r, 50));
    const fast = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(fast.headers.get('x-upstream')).toBe('b');
    expect((await slow).headers.get('x-upstream')).toBe('a');
  });
});

describe('placeholders', () => {
  it('answers {rp.upstream.*}, {rp.status_code}, {rp.status_text} and {rp.header.*}', async () => {
    const ctx = makeCtx(new Request('http://site.test/?status=201&h=X-Thing:v1'));
    await serve(proxy({ upstreams: [{ dial: A }] }), ctx);
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.address')).toBe(A);
    expect(resolvePlaceholder(ctx, 'rp.upstream.hostport')).toBe(A);
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.host')).toBe('127.0.0.1');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.port')).toBe(String(ports.echo[0]));
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.requests')).toBe('0');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.fails')).toBe('0');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.retries')).toBe('0');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.status_code')).toBe('201');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.status_text')).toBe('201 Created');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.no_such_thing')).toBeUndefined();
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.header.X-Thing')).toBe('v1');
    expect(resolvePlaceholder(ctx, 'rp.header.x-thing')).toBe('v1');
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.header.X-Absent')).toBeUndefined();
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.latency_ms')).toMatch(/^\d+$/);
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.upstream.latency')).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.duration')).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
  });

  it('expands placeholders in the dial address per request', async () => {
    const h = proxy({ upstreams: [{ dial: '127.0.0.1:{backend_port}' }] });
    const ctx = makeCtx(new Request('http://site.test/'));
    ctx.vars.set('backend_port', String(ports.echo[1]));
    const res = await serve(h, ctx);
    expect(res.headers.get('x-upstream')).toBe('b');
  });
});

describe('handle_response', () => {
  it('runs the routes of the first matching entry instead of copying the response', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      handle_response: [
        {
          match: { status_code: [404] },
          routes: [
            {
              handle: [
                { handler: 'static_response', status_code: 418, body: 'intercepted {http.reverse_proxy.status_code}' },
              ],
            },
          ],
        },
      ],
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/?status=404')));
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('intercepted 404');
    const passthrough = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(passthrough.status).toBe(200);
  });

  it('copy_response writes the upstream response with another status', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      handle_response: [
        {
          match: { headers: { 'X-Accel': ['*'] } },
          routes: [{ handle: [{ handler: 'copy_response', status_code: 202 }] }],
        },
      ],
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/?h=X-Accel:go')));
    expect(res.status).toBe(202);
    expect(res.headers.get('x-accel')).toBe('go');
    expect((await echoOf(res)).id).toBe('a');
  });

  it('copy_response_headers copies only the included fields onto a later response', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      handle_response: [
        {
          routes: [
            {
              handle: [
                { handler: 'copy_response_headers', include: ['X-Accel'] },
                { handler: 'static_response', status_code: 200, body: 'own' },
              ],
            },
          ],
        },
      ],
    });
    const ctx = makeCtx(new Request('http://site.test/?h=X-Accel:go'));
    const res = await serve(h, ctx);
    expect(await res.text()).toBe('own');
    // static_response in this double does not merge the base header map; the copied field waits there.
    const { responseHeaderMap } = await import('../../src/http/handlers/response.ts');
    expect(responseHeaderMap(ctx).get('x-accel')).toBe('go');
    expect(responseHeaderMap(ctx).get('x-upstream')).toBeNull();
  });

  it('a routes entry that does not respond falls through to next', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      handle_response: [{ routes: [{ handle: [{ handler: 'copy_response_headers', include: ['X-Upstream'] }] }] }],
    });
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(299);
    expect(await res.text()).toBe('from next');
  });

  it('replace_status changes only the status', async () => {
    const h = proxy({ upstreams: [{ dial: A }], handle_response: [{ match: { status_code: [2] }, status_code: 203 }] });
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(203);
    expect((await echoOf(res)).id).toBe('a');
  });
});

describe('sticky cookie end to end', () => {
  it('sets the lb cookie once and follows it afterwards', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'cookie' } },
    });
    const first = await serve(h, makeCtx(new Request('http://site.test/')));
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^lb=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Lax$/);
    const who = first.headers.get('x-upstream');
    for (let i = 0; i < 5; i++) {
      const res = await serve(
        h,
        makeCtx(new Request('http://site.test/', { headers: { cookie: cookie.split(';')[0] } })),
      );
      expect(res.headers.get('x-upstream')).toBe(who);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });
});

describe('active health checks', () => {
  it('a failing health URI takes the upstream out of rotation from the first request, as Caddy checks at load', async () => {
    const h = proxy({
      upstreams: [{ dial: A }, { dial: B }],
      load_balancing: { selection_policy: { policy: 'first' } },
      health_checks: { active: { uri: `/health?status=500`, interval: '1m' } },
    });
    // The first request starts the first round and waits for it (bounded): both upstreams are down at once.
    expect((await serve(h, makeCtx(new Request('http://site.test/')))).status).toBe(503);
    const res = await serve(h, makeCtx(new Request('http://site.test/')));
    expect(res.status).toBe(503);
  });
});

describe('config errors', () => {
  it('rejects what cannot run at the edge', () => {
    expect(() => proxy({ upstreams: [{ dial: 'unix//run/app.sock' }] })).toThrow(/unix sockets/);
    expect(() => proxy({ upstreams: [{ dial: A }], dynamic_upstreams: { source: 'a' } })).toThrow(/dynamic_upstreams/);
    expect(() => proxy({ upstreams: [{ dial: A }], bogus: 1 })).toThrow(/unsupported field "bogus"/);
    expect(() => proxy({ upstreams: [{ dial: A }], transport: { protocol: 'fastcgi' } })).toThrow(/only http/);
    expect(() => proxy({ upstreams: [] })).toThrow(/no upstreams/);
  });
});

describe('retry_match and header_down require', () => {
  // /flaky resets the connection on the first request for a key and answers the second one.
  it('a GET is retried after a transport error (no retry_match)', async () => {
    const h = proxy({ upstreams: [{ dial: A }], load_balancing: { retries: 1 } });
    const ctx = makeCtx(new Request('http://site.test/flaky?key=get1'));
    const res = await serve(h, ctx);
    expect(res.status).toBe(200);
    expect(resolvePlaceholder(ctx, 'http.reverse_proxy.retries')).toBe('1');
  });

  it('a PUT is not retried after a transport error unless retry_match matches it', async () => {
    const plain = proxy({ upstreams: [{ dial: A }], load_balancing: { retries: 1 } });
    expect(
      (await serve(plain, makeCtx(new Request('http://site.test/flaky?key=put1', { method: 'PUT', body: 'x' }))))
        .status,
    ).toBe(502);
    const matching = proxy({
      upstreams: [{ dial: A }],
      load_balancing: { retries: 1, retry_match: [{ method: ['PUT'] }] },
    });
    const res = await serve(
      matching,
      makeCtx(new Request('http://site.test/flaky?key=put2', { method: 'PUT', body: 'again' })),
    );
    expect(res.status).toBe(200);
    expect((await echoOf(res)).body).toBe('again');
  });

  it('with retry_match a GET is no longer implicitly retried', async () => {
    const h = proxy({ upstreams: [{ dial: A }], load_balancing: { retries: 1, retry_match: [{ method: ['PUT'] }] } });
    expect((await serve(h, makeCtx(new Request('http://site.test/flaky?key=get2')))).status).toBe(502);
  });

  it('header_down applies only when its require matcher matches the response', async () => {
    const h = proxy({
      upstreams: [{ dial: A }],
      headers: { response: { require: { status_code: [404] }, set: { 'X-Missing': ['yes'] } } },
    });
    expect((await serve(h, makeCtx(new Request('http://site.test/?status=404')))).headers.get('x-missing')).toBe('yes');
    expect((await serve(h, makeCtx(new Request('http://site.test/')))).headers.get('x-missing')).toBeNull();
  });
});
