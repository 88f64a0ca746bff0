import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import worker from '../../src/index.ts';

// rate_limit from a Caddyfile through the Worker and the RateLimiter Durable Object: the limit holds per client key
// and the 429 carries Retry-After, as the caddy-ratelimit plugin answers.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

function configFor(zone: string): string {
  const caddyfile = `:80 {
	rate_limit /limited/* {
		zone ${zone} {
			key {remote_host}
			events 3
			window 1m
		}
	}
	respond "ok {path}"
}
`;
  return JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
}

async function get(path: string, ip: string, config: string): Promise<Response> {
  const req = new Request(`http://gw.test${path}`, { headers: { 'CF-Connecting-IP': ip } });
  return worker.fetch(req as never, { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config } as never, exec);
}

describe('rate_limit end to end', () => {
  it('allows `events` requests per key in the window, then 429 with Retry-After', async () => {
    const config = configFor('e2e-a');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/limited/x', '203.0.113.7', config)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const denied = await get('/limited/x', '203.0.113.7', config);
    expect(denied.status).toBe(429);
    const retryAfter = Number(denied.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(61);

    // The zone's decisions are counted for Prometheus.
    const scrape = await worker.fetch(
      new Request('http://gw.test/gatehouse-admin/metrics', { headers: { Authorization: 'Bearer m' } }) as never,
      { ...env, CONFIG_STORE: undefined, METRICS_TOKEN: 'm', GATEHOUSE_CONFIG: config } as never,
      exec,
    );
    const text = await scrape.text();
    expect(text).toContain('gatehouse_rate_limit_allowed_total{zone="e2e-a"} 3');
    expect(text).toContain('gatehouse_rate_limit_denied_total{zone="e2e-a"} 3');
  });

  it('keeps clients apart and leaves unmatched paths alone', async () => {
    const config = configFor('e2e-b');
    for (let i = 0; i < 3; i++) expect((await get('/limited/y', '198.51.100.1', config)).status).toBe(200);
    expect((await get('/limited/y', '198.51.100.1', config)).status).toBe(429);
    expect((await get('/limited/y', '198.51.100.2', config)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await get('/free', '198.51.100.1', config)).status).toBe(200);
  });
});
