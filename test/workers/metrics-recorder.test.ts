import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsShard } from '../../durable/metrics-shard.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import type { CaddyConfigJSON } from '../../src/config/caddy-json.ts';
import { compileRouteList, emptyNext } from '../../src/config/routes.ts';
import type { SeriesData } from '../../src/metrics/batch.ts';
import { METRICS } from '../../src/metrics/catalog.ts';
import { metricsHosts, OTHER_HOST, requestSize, routeInstrument } from '../../src/metrics/http.ts';
import { countDurableObjectError, flushMetricsNow, useMetricsRecorder } from '../../src/metrics/index.ts';
import { MetricsRecorder } from '../../src/metrics/recorder.ts';
import { renderMetrics } from '../../src/metrics/render.ts';
import { HEALTH_GAUGE_TTL_MS, recordHealthRound } from '../../src/metrics/health-round.ts';
import { recordUpstreamError, recordUpstreamResponse } from '../../src/proxy/metrics.ts';
import { ctxFor } from './context.ts';
import { watchNamespace } from './watched-namespace.ts';

// The isolate side of metrics: series handles updated in place, flushes by time and by pending series, failed
// flushes kept, Durable Object errors counted, the per_host cardinality guard, and level gauges that expire.

const shards = (env as unknown as { METRICS: DurableObjectNamespace<MetricsShard> }).METRICS;

/** Everything `rec` has pending, by metric name and labels (the recorder is emptied). */
async function drain(rec: MetricsRecorder): Promise<SeriesData[]> {
  let out: SeriesData[] = [];
  await rec.flush(async (batch) => {
    out = batch;
  });
  return out;
}

function find(batch: SeriesData[], name: string, labels: Record<string, string>): SeriesData | undefined {
  return batch.find(
    (s) =>
      s.name === name &&
      JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()),
  );
}

let previous: MetricsRecorder | undefined;
/** Makes `rec` the isolate's recorder for this test. */
function install(rec: MetricsRecorder): MetricsRecorder {
  previous = useMetricsRecorder(rec);
  return rec;
}
afterEach(() => {
  useMetricsRecorder(previous);
  previous = undefined;
});

describe('MetricsRecorder', () => {
  it('hands out one series per label set, updated in place across flushes', async () => {
    const rec = new MetricsRecorder(10_000);
    const labels = { server: 's', handler: 'h' };
    const total = rec.series(METRICS.requestsTotal, labels);
    expect(rec.series(METRICS.requestsTotal, { handler: 'h', server: 's' })).toBe(total);
    for (let i = 0; i < 5000; i++) total.inc();
    // 5000 observations of one series are one pending series, and not a reason to flush before the interval.
    expect(rec.pendingSeries).toBe(1);
    expect(rec.due(Date.now())).toBe(false);
    expect(find(await drain(rec), METRICS.requestsTotal.name, labels)?.value).toBe(5000);
    // After the flush swapped the generation, the same handle lists itself again with a fresh delta.
    expect(rec.pendingSeries).toBe(0);
    total.inc(2);
    expect(rec.pendingSeries).toBe(1);
    expect(find(await drain(rec), METRICS.requestsTotal.name, labels)?.value).toBe(2);
    expect(await drain(rec)).toEqual([]);
  });

  it('bumps one bucket of an existing histogram series per observation', async () => {
    const rec = new MetricsRecorder(10_000);
    const h = rec.series(METRICS.upstreamLatency, { upstream: 'u' });
    for (const v of [0.001, 0.005, 0.006, 0.3, 20]) h.observe(v);
    const s = find(await drain(rec), METRICS.upstreamLatency.name, { upstream: 'u' })!;
    // Bounds .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10, then +Inf; `le` is inclusive.
    expect(s.buckets).toEqual([2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(s.count).toBe(5);
    expect(s.sum).toBeCloseTo(20.312, 6);
    h.observe(0.02);
    expect(find(await drain(rec), METRICS.upstreamLatency.name, { upstream: 'u' })!.buckets).toEqual([
      0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('is due by time, or by the number of distinct pending series (memory bound)', () => {
    const t0 = 1_000_000;
    const rec = new MetricsRecorder(10_000, { maxPendingSeries: 3, now: t0 });
    rec.inc(METRICS.rateLimitAllowed, { zone: 'a' });
    expect(rec.due(t0 + 9_999)).toBe(false);
    expect(rec.due(t0 + 10_000)).toBe(true);
    rec.inc(METRICS.rateLimitAllowed, { zone: 'b' });
    expect(rec.due(t0 + 1)).toBe(false);
    rec.inc(METRICS.rateLimitAllowed, { zone: 'c' });
    expect(rec.due(t0 + 1)).toBe(true);
  });

  it('puts a failed flush back so nothing is lost, merged with what came after', async () => {
    const rec = new MetricsRecorder(0);
    const labels = { server: 's', handler: 'h' };
    const total = rec.series(METRICS.requestsTotal, labels);
    total.inc(5);
    await expect(rec.flush(async () => Promise.reject(new Error('shard down')))).rejects.toThrow('shard down');
    total.inc(1);
    expect(rec.pendingSeries).toBeGreaterThan(0);
    expect(find(await drain(rec), METRICS.requestsTotal.name, labels)?.value).toBe(6);
  });

  it('a flush waits for one in flight for at most a second, then sends its own batch: nothing is lost', async () => {
    // The one in flight may be another request's, which the runtime may cancel with that request: it never settles.
    const rec = new MetricsRecorder(0);
    const labels = { server: 's', handler: 'h' };
    const total = rec.series(METRICS.requestsTotal, labels);
    total.inc(2);
    const stuck = rec.flush(() => new Promise<void>(() => {}));
    total.inc(3);
    const start = Date.now();
    const sent = await drain(rec);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    expect(Date.now() - start).toBeLessThan(3000);
    expect(find(sent, METRICS.requestsTotal.name, labels)?.value).toBe(3); // the delta since the stuck batch
    void stuck;
  });

  it('a flush that never settles holds periodic flushes back for 10 s, not for good', () => {
    const rec = new MetricsRecorder(0);
    const total = rec.series(METRICS.requestsTotal, { server: 's', handler: 'h' });
    total.inc();
    const t0 = Date.now();
    void rec.flush(() => new Promise<void>(() => {}), t0);
    total.inc();
    expect(rec.due(t0 + 5_000)).toBe(false); // in flight: not doubled up
    expect(rec.due(t0 + 10_000)).toBe(true); // taken to be lost with its request
  });

  it('starts its handle cache again past maxSeries; callers see the epoch change and nothing is lost', async () => {
    const rec = new MetricsRecorder(10_000, { maxSeries: 2 });
    const a = rec.series(METRICS.rateLimitDenied, { zone: 'a' });
    rec.series(METRICS.rateLimitDenied, { zone: 'b' });
    a.inc();
    expect(rec.epoch).toBe(0);
    const c = rec.series(METRICS.rateLimitDenied, { zone: 'c' });
    expect(rec.epoch).toBe(1);
    c.inc();
    // A caller still holding `a` records into it; a fresh handle for the same series adds up with it at the flush.
    a.inc();
    rec.series(METRICS.rateLimitDenied, { zone: 'a' }).inc();
    const batch = await drain(rec);
    expect(find(batch, METRICS.rateLimitDenied.name, { zone: 'a' })?.value).toBe(3);
    expect(find(batch, METRICS.rateLimitDenied.name, { zone: 'c' })?.value).toBe(1);
  });
});

describe('per-upstream recording (called per proxied request)', () => {
  it('reuses one series per upstream and status: thousands of requests, three pending series', async () => {
    const rec = install(new MetricsRecorder(10_000));
    for (let i = 0; i < 3000; i++) recordUpstreamResponse(env as never, '10.0.0.1:80', 200, 7);
    for (let i = 0; i < 10; i++) recordUpstreamResponse(env as never, '10.0.0.1:80', 503, 30);
    for (let i = 0; i < 4; i++) recordUpstreamError(env as never, '10.0.0.1:80');
    // requests{200}, requests{503}, latency, errors.
    expect(rec.pendingSeries).toBe(4);
    expect(rec.due()).toBe(false);
    const batch = await drain(rec);
    expect(find(batch, 'gatehouse_upstream_requests_total', { upstream: '10.0.0.1:80', code: '200' })?.value).toBe(
      3000,
    );
    expect(find(batch, 'gatehouse_upstream_requests_total', { upstream: '10.0.0.1:80', code: '503' })?.value).toBe(10);
    expect(find(batch, 'gatehouse_upstream_errors_total', { upstream: '10.0.0.1:80' })?.value).toBe(4);
    const latency = find(batch, 'gatehouse_upstream_latency_seconds', { upstream: '10.0.0.1:80' })!;
    expect(latency.count).toBe(3010);
    expect(latency.buckets![1]).toBe(3000); // 7 ms: le=0.01
    expect(latency.buckets![3]).toBe(10); // 30 ms: le=0.05
    // After the flush the cached handles record again.
    recordUpstreamResponse(env as never, '10.0.0.1:80', 200, 7);
    expect(
      find(await drain(rec), 'gatehouse_upstream_requests_total', { upstream: '10.0.0.1:80', code: '200' })?.value,
    ).toBe(1);
  });

  it('records into whichever recorder is the isolate’s (no handle outlives its recorder)', async () => {
    const first = install(new MetricsRecorder(10_000));
    recordUpstreamResponse(env as never, 'u:1', 200, 1);
    const second = new MetricsRecorder(10_000);
    useMetricsRecorder(second);
    recordUpstreamResponse(env as never, 'u:1', 200, 1);
    recordUpstreamResponse(env as never, 'u:1', 200, 1);
    expect(find(await drain(first), 'gatehouse_upstream_requests_total', { upstream: 'u:1', code: '200' })?.value).toBe(
      1,
    );
    expect(
      find(await drain(second), 'gatehouse_upstream_requests_total', { upstream: 'u:1', code: '200' })?.value,
    ).toBe(2);
  });
});

describe('gatehouse_durable_object_errors_total', () => {
  it('counts a failed MetricsShard flush, and the deltas reach the shard once it answers again', async () => {
    const rec = install(new MetricsRecorder(0, { shardSeed: 0 }));
    let broken = true;
    const { ns } = watchNamespace(shards, () => broken);
    const e = { METRICS: ns, METRICS_SHARDS: '1' };
    rec.inc(METRICS.rateLimitAllowed, { zone: 'do-errors' }, 3);
    await flushMetricsNow(e);
    expect(rec.pendingSeries).toBe(2); // the kept deltas and the error count
    broken = false;
    const before = await shards.get(shards.idFromName('shard-0')).dump();
    const errorsBefore = find(before, 'gatehouse_durable_object_errors_total', { object: 'MetricsShard' })?.value ?? 0;
    const zoneBefore = find(before, 'gatehouse_rate_limit_allowed_total', { zone: 'do-errors' })?.value ?? 0;
    await flushMetricsNow(e);
    const after = await shards.get(shards.idFromName('shard-0')).dump();
    expect(
      find(after, 'gatehouse_durable_object_errors_total', { object: 'MetricsShard' })!.value! - errorsBefore,
    ).toBe(1);
    expect(find(after, 'gatehouse_rate_limit_allowed_total', { zone: 'do-errors' })!.value! - zoneBefore).toBe(3);
  });

  it('countDurableObjectError counts per object class', async () => {
    const rec = install(new MetricsRecorder(10_000));
    countDurableObjectError(env as never, 'UpstreamPool');
    countDurableObjectError(env as never, 'UpstreamPool');
    countDurableObjectError(env as never, 'ConfigStore');
    const batch = await drain(rec);
    expect(find(batch, 'gatehouse_durable_object_errors_total', { object: 'UpstreamPool' })?.value).toBe(2);
    expect(find(batch, 'gatehouse_durable_object_errors_total', { object: 'ConfigStore' })?.value).toBe(1);
  });
});

describe('per_host cardinality guard (Caddy 2.11 observe_catchall_hosts)', () => {
  function adapt(caddyfile: string): CaddyConfigJSON {
    return adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config as CaddyConfigJSON;
  }

  /** Runs requests through the config's first server's top-level routes with the instrument, returns host labels counted. */
  async function hostsCounted(config: CaddyConfigJSON, urls: string[]): Promise<Record<string, number>> {
    const rec = install(new MetricsRecorder(10_000));
    const srv = Object.values(config.apps!.http!.servers!)[0];
    const routes = compileRouteList(
      srv.routes ?? [],
      'routes',
      { bindings: undefined },
      routeInstrument('srvx', true, metricsHosts(config)),
    );
    for (const url of urls) await (await routes(ctxFor(url, { env: env as never }), emptyNext)).arrayBuffer();
    const out: Record<string, number> = {};
    for (const s of await drain(rec))
      if (s.name === 'caddy_http_requests_total') out[s.labels.host] = (out[s.labels.host] ?? 0) + (s.value ?? 0);
    return out;
  }

  it('gives hosts no host matcher names the label _other on a server without TLS', async () => {
    const config = adapt(
      '{\n\tmetrics {\n\t\tper_host\n\t}\n}\nhttp://a.test, http://*.wild.test {\n\trespond "x"\n}\n:80 {\n\trespond "y"\n}\n',
    );
    const hosts = metricsHosts(config);
    expect([...hosts.allowed]).toEqual(['a.test']); // wildcards are not exact hosts
    expect(hosts.hasHttpsServer).toBe(false);
    const counted = await hostsCounted(config, [
      'http://a.test/',
      'http://A.test/',
      'http://x.wild.test/',
      'http://evil.test/',
      'https://evil2.test/',
      'http://a.test:8080/',
    ]);
    // A port in Host is part of the compared value, as Caddy compares r.Host.
    expect(counted).toEqual({ 'a.test': 2, [OTHER_HOST]: 4 });
  });

  it('keeps every host with observe_catchall_hosts', async () => {
    const config = adapt('{\n\tmetrics {\n\t\tper_host\n\t\tobserve_catchall_hosts\n\t}\n}\n:80 {\n\trespond "y"\n}\n');
    expect(await hostsCounted(config, ['http://one.test/', 'http://two.test/'])).toEqual({
      'one.test': 1,
      'two.test': 1,
    });
  });

  it('keeps the host of HTTPS requests when some server has TLS (automatic HTTPS for a named site)', async () => {
    const config = adapt(
      '{\n\tmetrics {\n\t\tper_host\n\t}\n}\nsite.test {\n\trespond "x"\n}\n:443 {\n\trespond "y"\n}\n',
    );
    expect(metricsHosts(config).hasHttpsServer).toBe(true);
    expect(await hostsCounted(config, ['https://site.test/', 'https://other.test/', 'http://other.test/'])).toEqual({
      'site.test': 1,
      'other.test': 1,
      [OTHER_HOST]: 1,
    });
  });

  it('finds TLS as Caddy’s automatic HTTPS would: explicit policies, HTTPS-only listeners, not auto_https off', () => {
    const server = (s: Record<string, unknown>): CaddyConfigJSON => ({
      apps: { http: { metrics: { per_host: true }, servers: { s } } },
    });
    expect(metricsHosts(server({ listen: [':8443'], tls_connection_policies: [{}] })).hasHttpsServer).toBe(true);
    expect(metricsHosts(server({ listen: [':443'] })).hasHttpsServer).toBe(true);
    expect(metricsHosts(server({ listen: [':80'], routes: [{ match: [{ host: ['a.test'] }] }] })).hasHttpsServer).toBe(
      false,
    );
    expect(
      metricsHosts(server({ listen: [':8080'], routes: [{ match: [{ host: ['a.test'] }] }] })).hasHttpsServer,
    ).toBe(true);
    expect(
      metricsHosts(
        server({ listen: [':8080'], routes: [{ match: [{ host: ['a.test'] }] }], automatic_https: { disable: true } }),
      ).hasHttpsServer,
    ).toBe(false);
    expect(
      metricsHosts(
        server({
          listen: [':8080'],
          routes: [{ match: [{ host: ['a.test'] }] }],
          automatic_https: { skip: ['a.test'] },
        }),
      ).hasHttpsServer,
    ).toBe(false);
    // Only top-level routes' host matchers count; hosts are compared lowercased.
    const nested = server({
      listen: [':80'],
      routes: [
        {
          match: [{ host: ['Top.Test'] }],
          handle: [{ handler: 'subroute', routes: [{ match: [{ host: ['inner.test'] }] }] }],
        },
      ],
    });
    expect([...metricsHosts(nested).allowed]).toEqual(['top.test']);
  });
});

describe('caddy_reverse_proxy_upstreams_healthy series that no pool refreshes', () => {
  it('are dropped by the shard once past their expiry (a removed upstream stops being reported)', async () => {
    const stub = shards.get(shards.idFromName('expiry-test'));
    const now = Date.now();
    const gauge = (upstream: string, at: number, until: number): SeriesData => ({
      name: METRICS.upstreamsHealthy.name,
      kind: 'gauge',
      labels: { upstream },
      value: 1,
      set: true,
      at,
      until,
    });
    await stub.add([gauge('gone:80', now - 10 * 60_000, now - 1), gauge('kept:80', now, now + 60_000)]);
    const dumped = await stub.dump();
    expect(dumped.map((s) => s.labels.upstream)).toEqual(['kept:80']);
    const text = await renderMetrics([dumped, [gauge('also-gone:80', now - 2, now - 1)]]);
    expect(text).toContain('caddy_reverse_proxy_upstreams_healthy{upstream="kept:80"} 1');
    expect(text).not.toContain('gone:80');
  });

  it('a health round writes gauges that outlive three check intervals, at least HEALTH_GAUGE_TTL_MS', async () => {
    const rec = new MetricsRecorder(10_000);
    const t0 = Date.now();
    recordHealthRound(rec, [{ upstream: 'h:1', passed: true, healthy: true }], { intervalMs: 3_600_000 });
    recordHealthRound(rec, [{ upstream: 'h:2', passed: false, healthy: false }]);
    const batch = await drain(rec);
    const h1 = find(batch, METRICS.upstreamsHealthy.name, { upstream: 'h:1' })!;
    const h2 = find(batch, METRICS.upstreamsHealthy.name, { upstream: 'h:2' })!;
    expect(h1.until! - h1.at!).toBe(3 * 3_600_000);
    expect(h2.until! - h2.at!).toBe(HEALTH_GAUGE_TTL_MS);
    expect(h2.value).toBe(0);
    expect(h1.at).toBeGreaterThanOrEqual(t0);
  });
});

describe('caddy_http_request_size_bytes', () => {
  it('is Caddy’s approximation: request-target, method, protocol, header names and values, Host, Content-Length', () => {
    const req = new Request('https://gw.test/a/b?q=1', {
      method: 'POST',
      body: new Uint8Array(40),
      headers: { Host: 'gw.test', 'X-One': 'abc', 'Content-Length': '40' },
    });
    // "/a/b?q=1" 8 + "POST" 4 + "HTTP/1.1" 8 + x-one+abc 8 + content-length+40 16 + Host value only 7 + body 40.
    expect(requestSize(req)).toBe(8 + 4 + 8 + 8 + 16 + 7 + 40);
  });
});
