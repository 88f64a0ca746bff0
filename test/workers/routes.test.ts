import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/compile.ts';
import type { CaddyConfigJSON, RouteJSON } from '../../src/config/caddy-json.ts';
import { ConfigError } from '../../src/config/errors.ts';

function server(routes: RouteJSON[], errors?: RouteJSON[], listen = [':443']): CaddyConfigJSON {
  return {
    apps: { http: { servers: { srv0: { listen, routes, ...(errors ? { errors: { routes: errors } } : {}) } } } },
  };
}
const respond = (body: string, status?: number) => ({
  handler: 'static_response',
  body,
  ...(status ? { status_code: status } : {}),
});
const get = (cfg: CaddyConfigJSON, url: string, init?: RequestInit) =>
  compileConfig(cfg).serve(new Request(url, init), {});

describe('route lists', () => {
  it('an unmatched request gets an empty 200', async () => {
    const res = await get(server([{ match: [{ path: ['/x'] }], handle: [respond('x')] }]), 'https://a.test/y');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('runs the first matching route; match sets are OR-ed', async () => {
    const cfg = server([
      { match: [{ path: ['/a'] }, { path: ['/b'] }], handle: [respond('ab')] },
      { handle: [respond('rest')] },
    ]);
    expect(await (await get(cfg, 'https://h.test/b')).text()).toBe('ab');
    expect(await (await get(cfg, 'https://h.test/c')).text()).toBe('rest');
  });

  it('middleware routes fall through to later routes', async () => {
    const cfg = server([
      { handle: [{ handler: 'headers', response: { set: { 'X-Site': ['demo'] } } }] },
      { handle: [respond('hello')] },
    ]);
    const res = await get(cfg, 'https://h.test/');
    expect(res.headers.get('x-site')).toBe('demo');
    expect(await res.text()).toBe('hello');
  });

  it('routes of one group are mutually exclusive (handle)', async () => {
    const cfg = server([
      { group: 'g', match: [{ path: ['/api/*'] }], handle: [{ handler: 'vars', hit: 'api' }] },
      { group: 'g', handle: [{ handler: 'vars', hit: 'other' }] },
      { handle: [respond('{http.vars.hit}')] },
    ]);
    expect(await (await get(cfg, 'https://h.test/api/x')).text()).toBe('api');
    expect(await (await get(cfg, 'https://h.test/z')).text()).toBe('other');
  });

  it('a terminal route stops the list after its handlers', async () => {
    const cfg = server([
      { handle: [{ handler: 'headers', response: { set: { 'X-A': ['1'] } } }], terminal: true },
      { handle: [respond('never')] },
    ]);
    const res = await get(cfg, 'https://h.test/');
    expect(res.headers.get('x-a')).toBe('1');
    expect(await res.text()).toBe('');
  });

  it('subroutes nest and fall through to the outer list', async () => {
    const cfg = server([
      {
        match: [{ host: ['h.test'] }],
        handle: [{ handler: 'subroute', routes: [{ match: [{ path: ['/in'] }], handle: [respond('inner')] }] }],
      },
      { handle: [respond('outer')] },
    ]);
    expect(await (await get(cfg, 'https://h.test/in')).text()).toBe('inner');
    expect(await (await get(cfg, 'https://h.test/out')).text()).toBe('outer');
  });
});

describe('errors', () => {
  it('without error routes: the error status with an empty body', async () => {
    const res = await get(
      server([{ handle: [{ handler: 'error', error: 'nope', status_code: 403 }] }]),
      'https://h.test/',
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('');
  });

  it('handle_errors sees {err.*}, the original URI, and static_response defaults to the error status', async () => {
    const cfg = server(
      [
        {
          handle: [
            { handler: 'rewrite', uri: '/rewritten' },
            { handler: 'error', error: 'gone {http.request.uri.path}', status_code: 410 },
          ],
        },
      ],
      [{ handle: [respond('{err.status_code} {err.message} {http.request.uri}')] }],
    );
    const res = await get(cfg, 'https://h.test/orig');
    expect(res.status).toBe(410);
    expect(await res.text()).toBe('410 gone /rewritten /orig');
  });

  it('error routes can match on the status', async () => {
    const cfg = server(
      [{ handle: [{ handler: 'error', status_code: 404 }] }],
      [
        { match: [{ expression: '{http.error.status_code} in [500]' }], handle: [respond('five')] },
        { handle: [respond('other', 200)] },
      ],
    );
    const res = await get(cfg, 'https://h.test/');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('other');
  });

  it('headers written before the error survive; deferred ones do not', async () => {
    const cfg = server([
      {
        handle: [
          { handler: 'headers', response: { set: { 'X-Now': ['1'] } } },
          { handler: 'headers', response: { set: { 'X-Later': ['1'] }, deferred: true } },
          { handler: 'error', status_code: 500 },
        ],
      },
    ]);
    const res = await get(cfg, 'https://h.test/');
    expect(res.status).toBe(500);
    expect(res.headers.get('x-now')).toBe('1');
    expect(res.headers.get('x-later')).toBeNull();
  });

  it('a subroute handles its own errors', async () => {
    const cfg = server([
      {
        handle: [
          {
            handler: 'subroute',
            routes: [{ handle: [{ handler: 'error', status_code: 418 }] }],
            errors: { routes: [{ handle: [respond('teapot {err.status_code}')] }] },
          },
        ],
      },
    ]);
    const res = await get(cfg, 'https://h.test/');
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('teapot 418');
  });
});

describe('servers and compile errors', () => {
  it('picks the server by port', async () => {
    const cfg: CaddyConfigJSON = {
      apps: {
        http: {
          servers: {
            a: { listen: [':443'], routes: [{ handle: [respond('tls')] }] },
            b: { listen: [':8080'], routes: [{ handle: [respond('plain')] }] },
          },
        },
      },
    };
    const c = compileConfig(cfg);
    expect(await (await c.serve(new Request('https://h.test/'), {})).text()).toBe('tls');
    expect(await (await c.serve(new Request('http://h.test:8080/'), {})).text()).toBe('plain');
    expect(await (await c.serve(new Request('http://h.test/'), {}, undefined, { localPort: 8080 })).text()).toBe(
      'plain',
    );
    expect(c.ports.sort()).toEqual([443, 8080]);
  });

  it('unknown handlers, fields and bad values fail at compile time with the JSON path', () => {
    expect(() => compileConfig(server([{ handle: [{ handler: 'nope' }] }]))).toThrow(
      /routes\[0\]\.handle\[0\].*unknown handler "nope"/,
    );
    expect(() => compileConfig(server([{ handle: [{ handler: 'static_response', bogus: 1 }] }]))).toThrow(ConfigError);
    expect(() => compileConfig(server([{ handle: [respond('x')], extra: true } as RouteJSON]))).toThrow(
      /unsupported field "extra"/,
    );
    expect(() =>
      compileConfig(server([{ handle: [{ handler: 'rewrite', path_regexp: [{ find: '(', replace: '' }] }] }])),
    ).toThrow(/invalid regexp/);
    expect(() => compileConfig(server([{ handle: [{ handler: 'file_server' }] }]), { bindings: [] })).toThrow(/ASSETS/);
  });
});
