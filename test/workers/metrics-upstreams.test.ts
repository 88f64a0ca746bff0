import { env, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { UpstreamPool } from '../../durable/upstream-pool.ts';
import worker from '../../src/index.ts';
import { isolatePools } from '../../src/config/active.ts';
import { adminClient, configJson, execution } from './execution.ts';
import { sample, scrapeText } from './metrics-helpers.ts';

// Issue 8: per-upstream traffic, upstream health at scrape time, active check results and the config rollout
// gauges, each observed through the Prometheus scrape endpoint with real loopback upstreams behind the proxy.

const ports = inject('proxyUpstreams');
const A = `127.0.0.1:${ports.echo[0]}`;
const B = `127.0.0.1:${ports.echo[1]}`;
const C = `127.0.0.1:${ports.echo[2]}`;
const DOWN = `127.0.0.1:${ports.refused}`;
const FLIP = `127.0.0.1:${ports.flip}`;
const TOKEN = 'upstream-metrics';

describe('per-upstream metrics from reverse_proxy', () => {
  it('counts each attempt per dial address and status, dial failures and timeouts, and time to headers', async () => {
    const { exec } = execution();
    const config = configJson(`:80 {
	handle /rr/* {
		reverse_proxy ${A} ${B} {
			lb_policy round_robin
		}
	}
	handle /down {
		reverse_proxy ${DOWN}
	}
	handle /slow {
		reverse_proxy ${C} {
			transport http {
				response_header_timeout 100ms
			}
		}
	}
	handle /c/* {
		reverse_proxy ${C}
	}
}
`);
    const e = { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config };
    const get = async (path: string): Promise<number> => {
      const res = await worker.fetch(new Request(`http://gw.test${path}`) as never, e as never, exec);
      await res.arrayBuffer();
      return res.status;
    };
    const before = await scrapeText(e, exec, TOKEN);
    const delta = (after: string, name: string, labels: string) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    for (let i = 0; i < 8; i++) expect(await get('/rr/x')).toBe(200);
    for (let i = 0; i < 3; i++) expect(await get('/down')).toBe(502);
    expect(await get('/slow?delay=600')).toBe(504);
    expect(await get('/c/x?status=503')).toBe(503);
    expect(await get('/c/x?delay=150')).toBe(200);
    const after = await scrapeText(e, exec, TOKEN);

    // Round robin over two upstreams: exactly half each.
    expect(delta(after, 'gatehouse_upstream_requests_total', `upstream="${A}",code="200"`)).toBe(4);
    expect(delta(after, 'gatehouse_upstream_requests_total', `upstream="${B}",code="200"`)).toBe(4);
    expect(delta(after, 'gatehouse_upstream_latency_seconds_count', `upstream="${A}"`)).toBe(4);
    expect(delta(after, 'gatehouse_upstream_latency_seconds_count', `upstream="${B}"`)).toBe(4);
    // A refused connection and a response header timeout are errors, not requests with a code.
    expect(delta(after, 'gatehouse_upstream_errors_total', `upstream="${DOWN}"`)).toBe(3);
    expect(sample(after, 'gatehouse_upstream_requests_total', `upstream="${DOWN}",code="502"`)).toBeUndefined();
    expect(delta(after, 'gatehouse_upstream_errors_total', `upstream="${C}"`)).toBe(1);
    // The upstream's own status is the code label; the slow answer is in the latency histogram above 0.1 s.
    expect(delta(after, 'gatehouse_upstream_requests_total', `upstream="${C}",code="503"`)).toBe(1);
    expect(delta(after, 'gatehouse_upstream_requests_total', `upstream="${C}",code="200"`)).toBe(1);
    expect(delta(after, 'gatehouse_upstream_latency_seconds_count', `upstream="${C}"`)).toBe(2);
    expect(delta(after, 'gatehouse_upstream_latency_seconds_bucket', `upstream="${C}",le="0.1"`)).toBe(1);
    expect(delta(after, 'gatehouse_upstream_latency_seconds_sum', `upstream="${C}"`)).toBeGreaterThanOrEqual(0.15);
  });
});

describe('caddy_reverse_proxy_upstreams_healthy at scrape time', () => {
  it('shows 0 for an upstream whose active check fails and 1 for a healthy one, from the current pool state', async () => {
    const { exec, settle } = execution();
    const key = 'upstreams-healthy';
    await fetch(`http://${FLIP}/control?key=${key}&status=503`);
    const config = configJson(`:80 {
	reverse_proxy ${FLIP} ${A} {
		health_uri /health?key=${key}
		health_interval 1m
	}
}
`);
    const e = { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config };
    // The first request activates the config, which configures the pool object and schedules its checks.
    expect((await worker.fetch(new Request('http://gw.test/') as never, e as never, exec)).status).toBeLessThan(600);
    await settle();
    const pool = isolatePools()
      .pools()
      .find((p) => p.config.upstreams.includes(FLIP) && p.config.active?.uri.includes(key));
    expect(pool).toBeDefined();
    await pool!.refresh();
    await runDurableObjectAlarm(pool!.stub() as unknown as DurableObjectStub<UpstreamPool>);

    let text = await scrapeText(e, exec, TOKEN);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${FLIP}"`)).toBe(0);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${A}"`)).toBe(1);

    // The upstream recovers: one passing round (health_passes 1) brings it back.
    await fetch(`http://${FLIP}/control?key=${key}&status=200`);
    await runDurableObjectAlarm(pool!.stub() as unknown as DurableObjectStub<UpstreamPool>);
    text = await scrapeText(e, exec, TOKEN);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${FLIP}"`)).toBe(1);
  });

  it('shows 0 for an upstream that passive health took out, which no active check records', async () => {
    const { exec, settle } = execution();
    const config = configJson(`:80 {
	reverse_proxy ${DOWN} {
		fail_duration 30s
		max_fails 2
	}
}
`);
    const e = { ...env, CONFIG_STORE: undefined, GATEHOUSE_CONFIG: config };
    const get = async () => (await worker.fetch(new Request('http://gw.test/') as never, e as never, exec)).status;
    expect(await get()).toBe(502);
    await settle();
    let text = await scrapeText(e, exec, TOKEN);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${DOWN}"`)).toBe(1);
    expect(await get()).toBe(502);
    await settle();
    text = await scrapeText(e, exec, TOKEN);
    expect(sample(text, 'caddy_reverse_proxy_upstreams_healthy', `upstream="${DOWN}"`)).toBe(0);
  });
});

describe('gatehouse_health_checks_total', () => {
  it('counts one pass or fail per upstream for every round the pool object runs', async () => {
    const { exec } = execution();
    const key = 'health-checks-total';
    await fetch(`http://${FLIP}/control?key=${key}&status=500`);
    const ns = (env as unknown as { UPSTREAM_POOL: DurableObjectNamespace<UpstreamPool> }).UPSTREAM_POOL;
    const stub = ns.get(ns.idFromName('metrics-upstreams-checks'));
    await stub.configure({
      upstreams: [FLIP, B],
      active: {
        uri: `/health?key=${key}`,
        intervalMs: 60_000,
        timeoutMs: 2_000,
        method: 'GET',
        headers: {},
        followRedirects: false,
        passes: 1,
        fails: 1,
        scheme: 'http',
      },
    });
    // configure() schedules a round at once; run it (whether or not it already fired) so only the 60 s one is left.
    await runDurableObjectAlarm(stub);
    const e = { ...env, CONFIG_STORE: undefined };
    const before = await scrapeText(e, exec, TOKEN);
    for (let i = 0; i < 3; i++) expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await scrapeText(e, exec, TOKEN);
    const delta = (labels: string) =>
      (sample(after, 'gatehouse_health_checks_total', labels) ?? 0) -
      (sample(before, 'gatehouse_health_checks_total', labels) ?? 0);
    expect(delta(`upstream="${FLIP}",result="fail"`)).toBe(3);
    expect(delta(`upstream="${FLIP}",result="pass"`)).toBe(0);
    expect(delta(`upstream="${B}",result="pass"`)).toBe(3);
    expect(delta(`upstream="${B}",result="fail"`)).toBe(0);
  });
});

describe('config gauges', () => {
  it('shows the active and candidate version ids and the rollout percent of the config store', async () => {
    const { exec } = execution();
    const ADMIN = 'admin-token';
    const e = { ...env, ADMIN_TOKEN: ADMIN, CONFIG_REFRESH_MS: '0' };
    const call = adminClient(worker as never, e, ADMIN, exec);
    const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);

    expect((await call('/load', { caddyfile: ':80 {\n\trespond "one"\n}\n' })).status).toBe(200);
    let text = await scrapeText(e, exec, TOKEN);
    const loaded = (await (await call('/config/versions')).json()) as { active: number };
    expect(gauge(text, 'gatehouse_config_active_version')).toBe(loaded.active);
    expect(gauge(text, 'gatehouse_config_candidate_version')).toBe(0);
    expect(gauge(text, 'gatehouse_config_rollout_percent')).toBe(0);

    expect((await call('/config/rollout', { caddyfile: ':80 {\n\trespond "two"\n}\n', percent: 25 })).status).toBe(200);
    text = await scrapeText(e, exec, TOKEN);
    const versions = (await (await call('/config/versions')).json()) as { active: number; candidate: number };
    expect(versions.candidate).toBeGreaterThan(versions.active);
    expect(gauge(text, 'gatehouse_config_active_version')).toBe(versions.active);
    expect(gauge(text, 'gatehouse_config_candidate_version')).toBe(versions.candidate);
    expect(gauge(text, 'gatehouse_config_rollout_percent')).toBe(25);
  });
});
