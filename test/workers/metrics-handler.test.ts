import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';
import worker from '../../src/index.ts';
import { execution } from './execution.ts';
import { configWithServer, sample } from './metrics-helpers.ts';

// The Caddyfile `metrics` directive: the exposition served at the site's own route, guarded only by what the
// Caddyfile puts around it (Caddy's metrics handler has no token of its own).

const { exec } = execution();

function envFor(caddyfile: string, server: string): Record<string, unknown> {
  return {
    ...env,
    CONFIG_STORE: undefined,
    METRICS_TOKEN: 'scrape-token',
    GATEHOUSE_CONFIG: configWithServer(caddyfile, server),
  };
}

async function get(e: Record<string, unknown>, url: string, init?: RequestInit): Promise<Response> {
  return worker.fetch(new Request(url, init) as never, e as never, exec);
}

describe('metrics directive', () => {
  it('serves the Prometheus text at its route, without the scrape token, with Caddy content type', async () => {
    const e = envFor(
      `{\n\tmetrics\n}\n:80 {\n\tmetrics /metrics\n\t@other not path /metrics\n\trespond @other "hi"\n}\n`,
      'mh_open',
    );
    for (let i = 0; i < 3; i++) expect(await (await get(e, 'http://gw.test/x')).text()).toBe('hi');
    const res = await get(e, 'http://gw.test/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(sample(text, 'caddy_http_requests_total', 'server="mh_open",handler="static_response"')).toBe(3);
    expect(text).toContain('# TYPE gatehouse_config_active_version gauge');
  });

  it('is guarded by whatever the Caddyfile puts before it', async () => {
    const caddyfile = `:80 {\n\tbasicauth /metrics {\n\t\tBob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}\n\tmetrics /metrics {\n\t\tdisable_openmetrics\n\t}\n}\n`;
    const res = await get(envFor(caddyfile, 'mh_auth'), 'http://gw.test/metrics');
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('caddy_');
  });

  it('needs the METRICS binding: the compile error names the directive', () => {
    const { config } = adaptCaddyfile(':80 {\n\tmetrics /metrics\n}\n', { filename: 'Caddyfile', env: {} });
    expect(() => compileConfig(config, { bindings: ['CONFIG_STORE'] })).toThrow(
      /metrics needs the METRICS Durable Object binding/,
    );
    expect(() => compileConfig(config, { bindings: ['METRICS'] })).not.toThrow();
  });
});
