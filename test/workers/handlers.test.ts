import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/compile.ts';
import type { CaddyConfigJSON, HandlerJSON } from '../../src/config/caddy-json.ts';
import { createRequestContext } from '../../src/http/context.ts';
import { compileRequestBody } from '../../src/http/handlers/request-body.ts';
import type { Next } from '../../src/http/types.ts';

/** Serves `url` through a single route running `handle`, then an echo of what the request became. */
function run(handle: HandlerJSON[], url = 'https://h.test/', init?: RequestInit, echo = true): Promise<Response> {
  const tail = echo ? [{ handler: 'static_response', body: '{http.request.method} {http.request.uri}' }] : [];
  const cfg: CaddyConfigJSON = {
    apps: { http: { servers: { s: { listen: [':443'], routes: [{ handle: [...handle, ...tail] }] } } } },
  };
  return compileConfig(cfg).serve(new Request(url, init), {});
}

describe('static_response', () => {
  it('sets status, headers, JSON or text content type, and expands the body', async () => {
    const res = await run(
      [
        {
          handler: 'static_response',
          status_code: 201,
          body: '{"a":"{http.request.host}"}',
          headers: { 'X-A': ['{http.request.method}'] },
        },
      ],
      'https://h.test/',
      undefined,
      false,
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-a')).toBe('GET');
    expect(await res.text()).toBe('{"a":"h.test"}');
    const txt = await run(
      [{ handler: 'static_response', body: 'hi {unknown.ph}' }],
      'https://h.test/',
      undefined,
      false,
    );
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await txt.text()).toBe('hi {unknown.ph}');
  });

  it('redir: Location with status, close sets Connection', async () => {
    const res = await run(
      [
        {
          handler: 'static_response',
          status_code: 301,
          headers: { Location: ['https://new.test{http.request.uri}'] },
          close: true,
        },
      ],
      'https://h.test/p?q=1',
      undefined,
      false,
    );
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://new.test/p?q=1');
  });

  it('a non-numeric status placeholder is a 500 error', async () => {
    const res = await run(
      [{ handler: 'static_response', status_code: '{http.request.uri.query.s}' }],
      'https://h.test/?s=abc',
      undefined,
      false,
    );
    expect(res.status).toBe(500);
  });

  it('abort rejects instead of answering', async () => {
    await expect(run([{ handler: 'static_response', abort: true }])).rejects.toThrow(/abort/);
  });
});

describe('rewrite', () => {
  it('uri replaces only the given components', async () => {
    expect(await (await run([{ handler: 'rewrite', uri: '/new' }], 'https://h.test/old?a=1')).text()).toBe(
      'GET /new?a=1',
    );
    expect(await (await run([{ handler: 'rewrite', uri: '?b=2' }], 'https://h.test/old?a=1')).text()).toBe(
      'GET /old?b=2',
    );
    expect(
      await (
        await run([{ handler: 'rewrite', uri: '/x?{http.request.uri.query}&c=a b' }], 'https://h.test/old?a=1')
      ).text(),
    ).toBe('GET /x?a=1&c=a%20b');
  });

  it('query placeholder values are escaped', async () => {
    const res = await run([{ handler: 'rewrite', uri: '/s?to={http.request.uri.path}' }], 'https://h.test/a/b');
    expect(await res.text()).toBe('GET /s?to=%2Fa%2Fb');
  });

  it('method, strip prefix (case-insensitive), suffix, substring, regexp', async () => {
    expect(await (await run([{ handler: 'rewrite', method: 'post' }])).text()).toBe('POST /');
    expect(
      await (await run([{ handler: 'rewrite', strip_path_prefix: '/API' }], 'https://h.test/api/users')).text(),
    ).toBe('GET /users');
    expect(
      await (await run([{ handler: 'rewrite', strip_path_suffix: '.html' }], 'https://h.test/page.html')).text(),
    ).toBe('GET /page');
    expect(
      await (
        await run(
          [{ handler: 'rewrite', uri_substring: [{ find: 'old', replace: 'new' }] }],
          'https://h.test/old/x?old=1',
        )
      ).text(),
    ).toBe('GET /new/x?new=1');
    expect(
      await (
        await run(
          [{ handler: 'rewrite', path_regexp: [{ find: '^/v(\\d+)/', replace: '/api/$1/' }] }],
          'https://h.test/v2/users',
        )
      ).text(),
    ).toBe('GET /api/2/users');
  });

  it('strip prefix leaves the path as Caddy does, without a leading slash it removed', async () => {
    const strip = (prefix: string) => ({ handler: 'rewrite', strip_path_prefix: prefix });
    expect(await (await run([strip('/pre')], 'https://h.test/prefix/a?q=1')).text()).toBe('GET fix/a?q=1');
    // the whole path stripped: {http.request.uri} is then "/" as Go's RequestURI says, the path itself empty
    expect(await (await run([strip('/pre')], 'https://h.test/pre')).text()).toBe('GET /');
    const body = { handler: 'static_response', body: '[{http.request.uri.path}]' };
    expect(await (await run([strip('/pre'), body], 'https://h.test/pre', undefined, false)).text()).toBe('[]');
    // later edits see that path: the suffix strip and a second prefix strip work on `fix/a`, not `/fix/a`
    expect(await (await run([strip('/pre'), strip('/fix')], 'https://h.test/prefix/a')).text()).toBe('GET fix/a');
    expect(
      await (
        await run([strip('/pre'), { handler: 'rewrite', strip_path_suffix: '/a' }], 'https://h.test/prefix/a')
      ).text(),
    ).toBe('GET fix');
    // and a matcher for `/fix/*` does not take it (Caddy would not route it there)
    const cfg: CaddyConfigJSON = {
      apps: {
        http: {
          servers: {
            s: {
              listen: [':443'],
              routes: [
                { handle: [strip('/pre')] },
                {
                  match: [{ path: ['/fix/*'] }],
                  handle: [{ handler: 'static_response', body: 'wrong route' }],
                  terminal: true,
                },
                { handle: [{ handler: 'static_response', body: 'path={http.request.uri.path}' }] },
              ],
            },
          },
        },
      },
    };
    expect(await (await compileConfig(cfg).serve(new Request('https://h.test/prefix/a'), {})).text()).toBe(
      'path=fix/a',
    );
  });

  it('query ops apply rename, set, add, replace, delete and sort keys', async () => {
    const res = await run(
      [
        {
          handler: 'rewrite',
          query: {
            rename: [{ key: 'old', val: 'new' }],
            set: [{ key: 'z', val: '1' }],
            add: [{ key: 'a', val: 'x y' }],
            replace: [{ key: 'new', search_regexp: '(\\d)', replace: 'n$1' }],
            delete: ['gone'],
          },
        },
      ],
      'https://h.test/p?old=5&gone=1&a=0',
    );
    expect(await res.text()).toBe('GET /p?a=0&a=x+y&new=n5&z=1');
  });
});

describe('headers', () => {
  it('request ops change what later handlers and the Host see', async () => {
    const res = await run(
      [
        { handler: 'headers', request: { set: { 'X-Up': ['v-{http.request.method}'] }, delete: ['X-Drop'] } },
        { handler: 'static_response', body: '{http.request.header.X-Up}|{http.request.header.X-Drop}' },
      ],
      'https://h.test/',
      { headers: { 'X-Drop': 'd' } },
      false,
    );
    expect(await res.text()).toBe('v-GET|');
  });

  it('response ops: add/set apply immediately, deletes and require are deferred', async () => {
    const res = await run(
      [
        { handler: 'headers', response: { add: { 'X-Multi': ['a', 'b'] } } },
        { handler: 'headers', response: { delete: ['X-Secret*'], deferred: true } },
        { handler: 'headers', response: { set: { 'X-Ok': ['yes'] }, require: { status_code: [2] } } },
        { handler: 'headers', response: { set: { 'X-Bad': ['no'] }, require: { status_code: [404] } } },
        { handler: 'static_response', headers: { 'X-Secret-Token': ['t'] }, body: 'b' },
      ],
      'https://h.test/',
      undefined,
      false,
    );
    expect(res.headers.get('x-multi')).toBe('a, b');
    expect(res.headers.get('x-secret-token')).toBeNull();
    expect(res.headers.get('x-ok')).toBe('yes');
    expect(res.headers.get('x-bad')).toBeNull();
  });

  it('replace with a regexp', async () => {
    const res = await run(
      [
        {
          handler: 'headers',
          response: {
            replace: { Location: [{ search_regexp: '^http://internal(.*)$', replace: 'https://public$1' }] },
            deferred: true,
          },
        },
        { handler: 'static_response', status_code: 302, headers: { Location: ['http://internal/x'] } },
      ],
      'https://h.test/',
      undefined,
      false,
    );
    expect(res.headers.get('location')).toBe('https://public/x');
  });
});

describe('vars, map, error', () => {
  it('vars expand at runtime', async () => {
    const res = await run(
      [
        { handler: 'vars', who: '{http.request.host}' },
        { handler: 'static_response', body: 'hi {http.vars.who}' },
      ],
      'https://h.test/',
      undefined,
      false,
    );
    expect(await res.text()).toBe('hi h.test');
  });

  it('map: literal, regexp and default outputs', async () => {
    const map = {
      handler: 'map',
      source: '{http.request.uri.path}',
      destinations: ['{backend}', '{tier}'],
      mappings: [
        { input: '/a', outputs: ['alpha', 'gold'] },
        { input_regexp: '^/u/(\\w+)$', outputs: ['user-$1', null] },
      ],
      defaults: ['none', 'free'],
    };
    const body = { handler: 'static_response', body: '{backend} {tier}' };
    expect(await (await run([map, body], 'https://h.test/a', undefined, false)).text()).toBe('alpha gold');
    expect(await (await run([map, body], 'https://h.test/u/bob', undefined, false)).text()).toBe('user-bob free');
    expect(await (await run([map, body], 'https://h.test/zzz', undefined, false)).text()).toBe('none free');
  });

  it('error defaults to 500', async () => {
    expect((await run([{ handler: 'error', error: 'x' }])).status).toBe(500);
  });
});

describe('authentication (http_basic)', () => {
  const hash = bcrypt.hashSync('s3cret', 4);
  const auth = {
    handler: 'authentication',
    providers: {
      http_basic: {
        accounts: [{ username: 'ann', password: hash }],
        realm: 'Zone',
        hash: { algorithm: 'bcrypt' },
        hash_cache: {},
      },
    },
  };
  const body = { handler: 'static_response', body: 'hello {http.auth.user.id}' };
  const basic = (u: string, p: string) => ({ headers: { Authorization: `Basic ${btoa(`${u}:${p}`)}` } });

  it('401 with WWW-Authenticate without or with wrong credentials', async () => {
    const none = await run([auth, body], 'https://h.test/', undefined, false);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="Zone"');
    expect((await run([auth, body], 'https://h.test/', basic('ann', 'bad'), false)).status).toBe(401);
    expect((await run([auth, body], 'https://h.test/', basic('bob', 's3cret'), false)).status).toBe(401);
  });

  it('accepts the right password (raw or base64 hash) and sets the user id', async () => {
    const ok = await run([auth, body], 'https://h.test/', basic('ann', 's3cret'), false);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello ann');
    const b64 = { ...auth, providers: { http_basic: { accounts: [{ username: 'ann', password: btoa(hash) }] } } };
    expect((await run([b64, body], 'https://h.test/', basic('ann', 's3cret'), false)).status).toBe(200);
  });

  it('rejects non-bcrypt hashes at compile time', () => {
    const bad = { ...auth, providers: { http_basic: { accounts: [{ username: 'a', password: '$argon2id$v=19$x' }] } } };
    expect(() => run([bad])).toThrow(/bcrypt/);
  });
});

describe('request_body', () => {
  const compile = (json: Record<string, unknown>) =>
    compileRequestBody(
      { handler: 'request_body', ...json },
      { path: 't', bindings: undefined, compileRoutes: () => async (c, n) => n(c) },
    );
  const readBody: Next = async (ctx) => new Response(await ctx.request.text());

  it('reading past max_size is a 413 error; within the limit the body passes', async () => {
    const h = compile({ max_size: 4 });
    const ctx = createRequestContext(new Request('https://h.test/', { method: 'POST', body: '0123456789' }), {});
    await expect(h(ctx, readBody)).rejects.toMatchObject({ statusCode: 413 });
    const ok = createRequestContext(new Request('https://h.test/', { method: 'POST', body: '0123' }), {});
    expect(await (await compile({ max_size: 4 })(ok, readBody)).text()).toBe('0123');
  });

  it('a handler that never reads the body is unaffected', async () => {
    const ctx = createRequestContext(new Request('https://h.test/', { method: 'POST', body: '0123456789' }), {});
    expect((await compile({ max_size: 1 })(ctx, async () => new Response('fine'))).status).toBe(200);
  });

  it('set replaces the body (placeholders expanded)', async () => {
    const ctx = createRequestContext(new Request('https://h.test/', { method: 'PUT', body: 'old' }), {});
    expect(await (await compile({ set: 'new {http.request.method}' })(ctx, readBody)).text()).toBe('new PUT');
  });
});

describe('encode', () => {
  const enc = { handler: 'encode', encodings: { gzip: {}, zstd: {} }, prefer: ['zstd', 'gzip'], minimum_length: 4 };
  it('declares gzip for compressible responses the client accepts', async () => {
    const res = await run(
      [enc, { handler: 'static_response', body: 'hello world' }],
      'https://h.test/',
      { headers: { 'Accept-Encoding': 'gzip, zstd' } },
      false,
    );
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
  });
  it('leaves short bodies, unaccepted encodings and non-matching types alone', async () => {
    const none = await run(
      [enc, { handler: 'static_response', body: 'hello world' }],
      'https://h.test/',
      undefined,
      false,
    );
    expect(none.headers.get('content-encoding')).toBeNull();
    const img = await run(
      [enc, { handler: 'static_response', body: 'xxxxxxxx', headers: { 'Content-Type': ['image/png'] } }],
      'https://h.test/',
      { headers: { 'Accept-Encoding': 'gzip' } },
      false,
    );
    expect(img.headers.get('content-encoding')).toBeNull();
  });
  it("follows the client's own Accept-Encoding when Cloudflare rewrote the field", async () => {
    const body = { handler: 'static_response', body: 'hello world' };
    const asked = (header: string, client: string) =>
      ({ headers: { 'Accept-Encoding': header }, cf: { clientAcceptEncoding: client } }) as RequestInit;
    const none = await run([enc, body], 'https://h.test/', asked('gzip, br', ''), false);
    expect(none.headers.get('content-encoding')).toBeNull();
    expect(await none.text()).toBe('hello world');
    const gzip = await run([enc, body], 'https://h.test/', asked('br', 'gzip'), false);
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
  });
});
