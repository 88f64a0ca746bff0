import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../durable/rate-limiter.ts';
import worker from '../../src/index.ts';
import { configJson } from './execution.ts';
import { scrapeText } from './metrics-helpers.ts';
import { watchNamespace } from './watched-namespace.ts';

// rate_limit from a Caddyfile through the Worker and the RateLimiter Durable Object: the limit holds per client key
// and the 429 carries Retry-After, as the caddy-ratelimit plugin answers.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

/** A site whose rate_limit zone (matched by `matcher`) limits each client address to `events` per `window`. */
function zoneConfig(zone: string, events: number, window: string, extra = '', matcher = ''): string {
  return configJson(`:80 {
	rate_limit ${matcher}{
		zone ${zone} {
			key {remote_host}
			events ${events}
			window ${window}
			${extra}
		}
	}
	respond "ok {path}"
}
`);
}

/** A request from `ip` through the Worker; `bindings` replace the test env's (a watched RATE_LIMITER, say). */
async function get(
  path: string,
  ip: string,
  config: string,
  bindings: Record<string, unknown> = {},
): Promise<Response> {
  const req = new Request(`http://gw.test${path}`, { headers: { 'CF-Connecting-IP': ip } });
  return worker.fetch(
    req as never,
    { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config, ...bindings } as never,
    exec,
  );
}

describe('rate_limit end to end', () => {
  it('allows `events` requests per key in the window, then 429 with Retry-After', async () => {
    const config = zoneConfig('e2e-a', 3, '1m', '', '/limited/* ');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/limited/x', '203.0.113.7', config)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const denied = await get('/limited/x', '203.0.113.7', config);
    expect(denied.status).toBe(429);
    const retryAfter = Number(denied.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(61);

    // The zone's decisions are counted for Prometheus.
    const text = await scrapeText({ ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config }, exec, 'm');
    expect(text).toContain('gatehouse_rate_limit_allowed_total{zone="e2e-a"} 3');
    expect(text).toContain('gatehouse_rate_limit_denied_total{zone="e2e-a"} 3');
  });

  it('keeps clients apart and leaves unmatched paths alone', async () => {
    const config = zoneConfig('e2e-b', 3, '1m', '', '/limited/* ');
    for (let i = 0; i < 3; i++) expect((await get('/limited/y', '198.51.100.1', config)).status).toBe(200);
    expect((await get('/limited/y', '198.51.100.1', config)).status).toBe(429);
    expect((await get('/limited/y', '198.51.100.2', config)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await get('/free', '198.51.100.1', config)).status).toBe(200);
  });
});

describe('rate_limit near the limit and with leases off', () => {
  it('20 concurrent requests on events 5 window 10s: exactly 5 allowed, every 429 with Retry-After 10 or 11', async () => {
    const config = zoneConfig('e2e-near', 5, '10s');
    const res = await Promise.all(Array.from({ length: 20 }, () => get('/x', '192.0.2.10', config)));
    expect(res.filter((r) => r.status === 200)).toHaveLength(5);
    const denied = res.filter((r) => r.status === 429);
    expect(denied).toHaveLength(15);
    // Slots used at once count from their grant: the first frees in just under 10 s (a leased one up to hold later).
    for (const r of denied) expect(['10', '11']).toContain(r.headers.get('Retry-After'));
  });

  it('`lease off` asks the object for every request, and stays exact', async () => {
    const config = zoneConfig('e2e-nolease', 1000, '1m', 'lease off');
    expect(config).toContain('"lease":false');
    const { ns, calls } = watchNamespace(
      (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER,
    );
    const one = () => get('/x', '192.0.2.11', config, { RATE_LIMITER: ns });
    for (let i = 0; i < 10; i++) expect((await one()).status).toBe(200);
    const concurrent = await Promise.all(Array.from({ length: 20 }, one));
    expect(concurrent.every((r) => r.status === 200)).toBe(true);
    expect(calls()).toBe(30);

    // The same zone with leases: the sequential requests ramp the batch up and need far fewer calls.
    const leased = zoneConfig('e2e-lease', 1000, '1m');
    const { ns: ns2, calls: calls2 } = watchNamespace(
      (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER,
    );
    const two = () => get('/x', '192.0.2.11', leased, { RATE_LIMITER: ns2 });
    for (let i = 0; i < 10; i++) expect((await two()).status).toBe(200);
    expect((await Promise.all(Array.from({ length: 20 }, two))).every((r) => r.status === 200)).toBe(true);
    expect(calls2()).toBeLessThan(10);
  });
});
