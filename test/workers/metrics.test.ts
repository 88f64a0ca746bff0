import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { MetricsShard } from '../../durable/metrics-shard.ts';
import { METRICS } from '../../src/metrics/catalog.ts';
import { MetricsRecorder } from '../../src/metrics/recorder.ts';
import worker from '../../src/index.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';

// Caddy's HTTP metrics through the Worker, aggregated in MetricsShard Durable Objects and scraped as Prometheus text.

const exec = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const TOKEN = 'metrics-token';

function configJson(server: string): string {
  return JSON.stringify({
    apps: {
      http: {
        metrics: {},
        servers: {
          [server]: {
            listen: [':80'],
            routes: [{ handle: [{ handler: 'static_response', body: 'hello' }] }],
          },
        },
      },
    },
  });
}

const testEnv = (server: string) => ({ ...env, METRICS_TOKEN: TOKEN, GATEHOUSE_CONFIG: configJson(server) }) as never;

async function scrape(e: never, token: string | null = TOKEN): Promise<Response> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return worker.fetch(new Request('http://gw.test/gatehouse-admin/metrics', { headers }) as never, e, exec);
}

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', () => {
  it('counts exactly N requests with Caddy names and labels, and cumulative buckets', async () => {
    const e = testEnv('metrics_a');
    for (let i = 0; i < 37; i++) expect((await worker.fetch(new Request('http://gw.test/x') as never, e, exec)).status).toBe(200);
    const res = await scrape(e);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'caddy_http_requests_total', 'server="metrics_a",handler="static_response"')).toBe(37);
    expect(sample(text, 'caddy_http_requests_in_flight', 'server="metrics_a",handler="static_response"')).toBe(0);
    const labels = 'server="metrics_a",handler="static_response",code="200",method="GET"';
    expect(sample(text, 'caddy_http_request_duration_seconds_count', labels)).toBe(37);
    expect(sample(text, 'caddy_http_request_duration_seconds_bucket', `${labels},le="+Inf"`)).toBe(37);
    // 5-byte bodies all fall in the first size bucket (256 bytes).
    expect(sample(text, 'caddy_http_response_size_bytes_bucket', `${labels},le="256"`)).toBe(37);
    expect(text).toContain('# TYPE caddy_http_request_duration_seconds histogram');
  });

  it('observes once per matched top-level route, labelled with its first handler; handler errors are counted', async () => {
    const caddyfile = '{\n\tmetrics\n}\n:80 {\n\theader X-A 1\n\terror /boom "nope" 503\n\trespond "x"\n}\n';
    const config = JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
    const e = { ...env, CONFIG_STORE: undefined, METRICS_TOKEN: TOKEN, GATEHOUSE_CONFIG: config } as never;
    const before = await (await scrape(e)).text();
    for (let i = 0; i < 4; i++) expect((await worker.fetch(new Request('http://gw.test/ok') as never, e, exec)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await worker.fetch(new Request('http://gw.test/boom') as never, e, exec)).status).toBe(503);
    const text = await (await scrape(e)).text();
    const delta = (name: string, labels: string) => (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    // Every request runs through the non-terminal `header` route, then either `respond` or `error`.
    expect(delta('caddy_http_requests_total', 'server="srv0",handler="headers"')).toBe(7);
    expect(delta('caddy_http_requests_total', 'server="srv0",handler="static_response"')).toBe(4);
    expect(delta('caddy_http_requests_total', 'server="srv0",handler="error"')).toBe(3);
    expect(delta('caddy_http_request_errors_total', 'server="srv0",handler="error"')).toBe(3);
    expect(delta('caddy_http_request_errors_total', 'server="srv0",handler="headers"')).toBe(3);
    expect(delta('caddy_http_request_duration_seconds_count', 'server="srv0",handler="error",code="503",method="GET"')).toBe(3);
  });

  it('sums the flushes of several isolates exactly', async () => {
    const ns = (env as unknown as { METRICS: DurableObjectNamespace<MetricsShard> }).METRICS;
    const labels = { server: 'isolates', handler: 'subroute' };
    // Three "isolates", each flushing to its own shard.
    for (const [i, n] of [10, 20, 30].entries()) {
      const rec = new MetricsRecorder(0);
      for (let k = 0; k < n; k++) rec.inc(METRICS.requestsTotal, labels);
      await rec.flush(async (batch) => {
        await ns.get(ns.idFromName(`shard-${i}`)).add(batch);
      });
    }
    const text = await (await scrape(testEnv('isolates_cfg'))).text();
    expect(sample(text, 'caddy_http_requests_total', 'server="isolates",handler="subroute"')).toBe(60);
  });

  it('puts a failed flush back so nothing is lost', async () => {
    const rec = new MetricsRecorder(0);
    rec.inc(METRICS.requestsTotal, { server: 's', handler: 'h' }, 5);
    await expect(rec.flush(async () => Promise.reject(new Error('shard down')))).rejects.toThrow('shard down');
    let sent = 0;
    await rec.flush(async (batch) => {
      sent = batch[0].value ?? 0;
    });
    expect(sent).toBe(5);
  });

  it('wants a token and is absent without one', async () => {
    expect((await scrape(testEnv('metrics_b'), null)).status).toBe(401);
    expect((await scrape(testEnv('metrics_b'), 'wrong')).status).toBe(401);
    const noToken = { ...env, GATEHOUSE_CONFIG: configJson('metrics_c') } as never;
    const res = await scrape(noToken);
    expect(await res.text()).toBe('hello'); // the gateway served it as an ordinary request
  });
});
