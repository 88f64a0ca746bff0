import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const call = (url: string, env: Record<string, unknown>) =>
  (worker.fetch as (r: Request, e: unknown, c: ExecutionContext) => Promise<Response>)(new Request(url), env, exec);

describe('Worker entry', () => {
  it('serves the bundled Caddyfile when GATEHOUSE_CONFIG is not set', async () => {
    const res = await (exports as unknown as { default: Fetcher }).default.fetch('http://example.com/');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^Gatehouse is running/);
  });

  it('serves GATEHOUSE_CONFIG (Caddy JSON) when set', async () => {
    const config = {
      apps: {
        http: {
          servers: {
            srv0: {
              listen: [':443'],
              routes: [{ handle: [{ handler: 'static_response', body: 'from json {http.request.uri.path}' }] }],
            },
          },
        },
      },
    };
    const res = await call('https://example.com/hi', { GATEHOUSE_CONFIG: JSON.stringify(config) });
    expect(await res.text()).toBe('from json /hi');
  });

  it('a config that does not compile is a 500 that does not leak its details', async () => {
    const bad = { apps: { http: { servers: { srv0: { routes: [{ handle: [{ handler: 'no_such_handler' }] }] } } } } };
    const res = await call('https://example.com/', { GATEHOUSE_CONFIG: JSON.stringify(bad) });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('no_such_handler');
  });
});
