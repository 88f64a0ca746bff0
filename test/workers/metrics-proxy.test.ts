import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { UpstreamPool } from '../../durable/upstream-pool.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import worker from '../../src/index.ts';

// Per-upstream metrics from reverse_proxy, health-check results from the UpstreamPool object, and the config
// rollout gauges, all read back through the Prometheus scrape endpoint.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const ports = inject('proxyUpstreams');
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const DOWN = `127.0.0.1:${ports.refused}`;
const FLIP = `127.0.0.1:${ports.flip}`;
const TOKEN = 'scrape';

function configJson(caddyfile: string): string {
  return JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
}

async function scrapeText(e: Record<string, unknown>): Promise<string> {
  const req = new Request('http://gw.test/gatehouse-admin/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
  const res = await worker.fetch(req as never, { ...e, METRICS_TOKEN: TOKEN } as never, exec);
  expect(res.status).toBe(200);
  return res.text();
}

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('upstream metrics', () => {
  it('counts every proxied attempt per upstream and status, failed attempts, and latency', async () => {
    const config = configJson(`:80 {
	handle /rr/* {
		reverse_proxy ${A} ${B} {
			lb_policy round_robin
		}
	}
	handle /down {
		reverse_proxy ${DOWN}
	}
}
`);
    const e = { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config };
    const before = await scrapeText(e);
    const get = (path: string) => worker.fetch(new Request(`http://gw.test${path}`) as never, e as never, exec);
    for (let i = 0; i < 10; i++) {
      const res = await get('/rr/x');
      expect(res.status).toBe(200);
      await res.text();
    }
    for (let i = 0; i < 3; i++) expect((await get('/down')).status).toBe(502);
    const after = await scrapeText(e);

    const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('gatehouse_upstream_requests_total', `upstream="${A}",code="200"`)).toBe(5);
    expect(delta('gatehouse_upstream_requests_total', `upstream="${B}",code="200"`)).toBe(5);
    expect(delta('gatehouse_upstream_errors_total', `upstream="${DOWN}"`)).toBe(3);
    expect(delta('gatehouse_upstream_latency_seconds_count', `upstream="${A}"`)).toBe(5);
    expect(delta('gatehouse_upstream_latency_seconds_bucket', `upstream="${A}",le="+Inf"`)).toBe(5);
  });

  it('exports health check results and caddy_reverse_proxy_upstreams_healthy from the pool object', async () => {
    const ns = (env as unknown as { UPSTREAM_POOL: DurableObjectNamespace<UpstreamPool> }).UPSTREAM_POOL;
    const stub = ns.get(ns.idFromName('metrics-health-pool'));
    const uri = '/health?key=metrics-test';
    await fetch(`http://${FLIP}/control?key=metrics-test&status=200`);
    await stub.configure({
      upstreams: [FLIP, DOWN],
      active: { uri, intervalMs: 60_000, timeoutMs: 2_000, method: 'GET', headers: {}, followRedirects: false, passes: 1, fails: 1, scheme: 'http' },
    });
    await runDurableObjectAlarm(stub);
    const e = { ...env, CONFIG_STORE: undefined };
    let text = await scrapeText(e);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${FLIP}"`)).toBe(1);
    expect(text).toContain(`caddy_reverse_proxy_upstreams_healthy{upstream="${DOWN}"} 0`);
    const fails = sample(text, 'gatehouse_health_checks_total', `upstream="${DOWN}",result="fail"`);
    expect(fails).toBeGreaterThanOrEqual(1);

    // The flip upstream starts failing: the next round marks it down.
    await fetch(`http://${FLIP}/control?key=metrics-test&status=503`);
    await runDurableObjectAlarm(stub);
    text = await scrapeText(e);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${FLIP}"`)).toBe(0);
    expect(sample(text, 'gatehouse_health_checks_total', `upstream="${FLIP}",result="fail"`)).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gatehouse_health_checks_total', `upstream="${DOWN}",result="fail"`)).toBeGreaterThan(fails);
  });
});

describe('config gauges', () => {
  it('shows the active and candidate versions and the rollout share', async () => {
    const ADMIN = 'admin-token';
    const e = { ...env, ADMIN_TOKEN: ADMIN, CONFIG_REFRESH_MS: '0' };
    const call = (path: string, body: unknown) =>
      worker.fetch(
        new Request(`http://gw.test/gatehouse-admin${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        }) as never,
        e as never,
        exec,
      );
    expect((await call('/load', { caddyfile: ':80 {\n\trespond "one"\n}\n' })).status).toBe(200);
    const rollout = await call('/config/rollout', { caddyfile: ':80 {\n\trespond "two"\n}\n', percent: 25 });
    expect(rollout.status).toBe(200);
    const text = await scrapeText(e);
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(gauge('gatehouse_config_active_version')).toBeGreaterThan(0);
    expect(gauge('gatehouse_config_candidate_version')).toBeGreaterThan(gauge('gatehouse_config_active_version'));
    expect(gauge('gatehouse_config_rollout_percent')).toBe(25);
  });
});
