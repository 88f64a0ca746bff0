import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import worker from '../../src/index.ts';
import { watchNamespace } from './watched-namespace.ts';
import { execution } from './execution.ts';
import { configWithServer, SIZE_BOUNDS, sample, scrapeText } from './metrics-helpers.ts';

// Caddy's HTTP metrics through the Worker, aggregated in MetricsShard Durable Objects and scraped as Prometheus text.

const ports = inject('proxyUpstreams');
const UPSTREAM = `127.0.0.1:${ports.echo[0]}`;
const TOKEN = 'metrics-token';

const { exec } = execution();

function envFor(caddyfile: string, server: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...env,
    CONFIG_STORE: undefined,
    METRICS_TOKEN: TOKEN,
    GATEHOUSE_CONFIG: configWithServer(caddyfile, server),
    ...extra,
  };
}

/** A request through the Worker, body read to the end as a client would. */
async function get(
  e: Record<string, unknown>,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; bytes: number; text: string }> {
  const res = await worker.fetch(new Request(url, init) as never, e as never, exec);
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes: body.byteLength, text: new TextDecoder().decode(body) };
}

async function scrape(
  e: Record<string, unknown>,
  path = '/gatehouse-admin/metrics',
  token: string | null = TOKEN,
): Promise<Response> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return worker.fetch(new Request(`http://gw.test${path}`, { headers }) as never, e as never, exec);
}

/** Cumulative bucket counts Prometheus should show for these sizes. */
function cumulative(sizes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [b, le] of SIZE_BOUNDS) out[le] = sizes.filter((s) => s <= b).length;
  out['+Inf'] = sizes.length;
  return out;
}

function buckets(text: string, name: string, labels: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of [...SIZE_BOUNDS.map(([, le]) => le), '+Inf'])
    out[b] = sample(text, `${name}_bucket`, `${labels},le="${b}"`) ?? NaN;
  return out;
}

describe('HTTP metrics', () => {
  it('counts exactly N requests with Caddy names and labels; response sizes are the bytes sent', async () => {
    const body = 'x'.repeat(300);
    const e = envFor(`{\n\tmetrics\n}\n:80 {\n\trespond "${body}"\n}\n`, 'm_sizes');
    const before = await scrapeText(e, exec, TOKEN);
    for (let i = 0; i < 37; i++) expect(await get(e, 'http://gw.test/x')).toMatchObject({ status: 200, bytes: 300 });
    const text = await scrapeText(e, exec, TOKEN);
    const delta = (name: string, labels: string) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('caddy_http_requests_total', 'server="m_sizes",handler="static_response"')).toBe(37);
    expect(sample(text, 'caddy_http_requests_in_flight', 'server="m_sizes",handler="static_response"')).toBe(0);
    const labels = 'server="m_sizes",handler="static_response",code="200",method="GET"';
    expect(delta('caddy_http_request_duration_seconds_count', labels)).toBe(37);
    expect(delta('caddy_http_request_duration_seconds_bucket', `${labels},le="+Inf"`)).toBe(37);
    expect(delta('caddy_http_response_duration_seconds_count', labels)).toBe(37);
    // 300-byte bodies: none in the 256 bucket, all in 1024 (Content-Length is null for a string body in workerd).
    expect(delta('caddy_http_response_size_bytes_bucket', `${labels},le="256"`)).toBe(0);
    expect(delta('caddy_http_response_size_bytes_bucket', `${labels},le="1024"`)).toBe(37);
    expect(delta('caddy_http_response_size_bytes_sum', labels)).toBe(37 * 300);
    expect(text).toContain('# TYPE caddy_http_request_duration_seconds histogram');
  });

  it('counts the bytes of chunked upstream responses (no Content-Length) as they are streamed', async () => {
    const e = envFor(`{\n\tmetrics\n}\n:80 {\n\treverse_proxy ${UPSTREAM}\n}\n`, 'm_chunked');
    const labels = 'server="m_chunked",handler="reverse_proxy",code="200",method="GET"';
    const before = await scrapeText(e, exec, TOKEN);
    const sizes: number[] = [];
    // The echo upstream answers chunked JSON describing the request: a long query makes some bodies larger.
    for (const n of [0, 50, 400, 1500, 5000]) {
      const r = await get(e, `http://gw.test/echo?pad=${'p'.repeat(n)}`);
      expect(r.status).toBe(200);
      expect(r.bytes).toBeGreaterThan(256);
      sizes.push(r.bytes);
    }
    const text = await scrapeText(e, exec, TOKEN);
    const was = buckets(before, 'caddy_http_response_size_bytes', labels);
    const now = buckets(text, 'caddy_http_response_size_bytes', labels);
    const expected = cumulative(sizes);
    for (const b of Object.keys(expected)) expect((now[b] || 0) - (was[b] || 0), `le=${b}`).toBe(expected[b]);
    const sum = (t: string) => sample(t, 'caddy_http_response_size_bytes_sum', labels) ?? 0;
    expect(sum(text) - sum(before)).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('includes writing the body in request_duration_seconds; response_duration_seconds is the time to headers', async () => {
    const e = envFor(`{\n\tmetrics\n}\n:80 {\n\treverse_proxy ${UPSTREAM}\n}\n`, 'm_duration');
    const labels = 'server="m_duration",handler="reverse_proxy",code="200",method="GET"';
    const before = await scrapeText(e, exec, TOKEN);
    // Headers and a first chunk at once, the rest of the body 400 ms later.
    const r = await get(e, 'http://gw.test/stream?wait=400');
    expect(r.text).toBe('first;second');
    const text = await scrapeText(e, exec, TOKEN);
    const delta = (name: string, l: string) => (sample(text, name, l) ?? 0) - (sample(before, name, l) ?? 0);
    expect(delta('caddy_http_request_duration_seconds_count', labels)).toBe(1);
    expect(delta('caddy_http_request_duration_seconds_bucket', `${labels},le="0.25"`)).toBe(0);
    expect(delta('caddy_http_request_duration_seconds_sum', labels)).toBeGreaterThanOrEqual(0.4);
    expect(delta('caddy_http_response_duration_seconds_bucket', `${labels},le="0.25"`)).toBe(1);
    expect(delta('caddy_http_response_size_bytes_sum', labels)).toBe(12);
    expect(sample(text, 'caddy_http_requests_in_flight', 'server="m_duration",handler="reverse_proxy"')).toBe(0);
  });

  it('observes once per matched top-level route, labelled with its first handler; handler errors are counted', async () => {
    const e = envFor(
      '{\n\tmetrics\n}\n:80 {\n\theader X-A 1\n\terror /boom "nope" 503\n\trespond "x"\n}\n',
      'm_routes',
    );
    const before = await scrapeText(e, exec, TOKEN);
    for (let i = 0; i < 4; i++) expect((await get(e, 'http://gw.test/ok')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(e, 'http://gw.test/boom')).status).toBe(503);
    const text = await scrapeText(e, exec, TOKEN);
    const delta = (name: string, labels: string) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    // Every request runs through the non-terminal `header` route, then either `respond` or `error`.
    expect(delta('caddy_http_requests_total', 'server="m_routes",handler="headers"')).toBe(7);
    expect(delta('caddy_http_requests_total', 'server="m_routes",handler="static_response"')).toBe(4);
    expect(delta('caddy_http_requests_total', 'server="m_routes",handler="error"')).toBe(3);
    expect(delta('caddy_http_request_errors_total', 'server="m_routes",handler="error"')).toBe(3);
    expect(delta('caddy_http_request_errors_total', 'server="m_routes",handler="headers"')).toBe(3);
    expect(
      delta('caddy_http_request_duration_seconds_count', 'server="m_routes",handler="error",code="503",method="GET"'),
    ).toBe(3);
    // Nothing was written by the failed route: no time to first byte, 0 bytes.
    expect(
      sample(
        text,
        'caddy_http_response_duration_seconds_count',
        'server="m_routes",handler="error",code="503",method="GET"',
      ),
    ).toBeUndefined();
    expect(
      delta(
        'caddy_http_response_size_bytes_bucket',
        'server="m_routes",handler="error",code="503",method="GET",le="256"',
      ),
    ).toBe(3);
    // The nested routes share one count of the body: the outer route sees the same bytes as the inner one.
    expect(
      delta('caddy_http_response_size_bytes_sum', 'server="m_routes",handler="headers",code="200",method="GET"'),
    ).toBe(4);
  });

  it('counts each request once in gatehouse_requests_total, however many top-level routes it runs through', async () => {
    const e = envFor(
      '{\n\tmetrics\n}\n:80 {\n\theader X-A 1\n\theader /two/* X-B 2\n\terror /two/boom "nope" 503\n\trespond "x"\n}\n',
      'm_once',
    );
    const before = await scrapeText(e, exec, TOKEN);
    for (let i = 0; i < 4; i++) expect((await get(e, 'http://gw.test/ok')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await get(e, 'http://gw.test/two/x')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(e, 'http://gw.test/two/boom')).status).toBe(503);
    const text = await scrapeText(e, exec, TOKEN);
    const delta = (name: string, labels: string) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    // Caddy's series see 9 requests 9 + 5 + 9 times over its handlers; a request total must say 9.
    expect(delta('caddy_http_requests_total', 'server="m_once",handler="headers"')).toBe(14);
    expect(delta('gatehouse_requests_total', 'server="m_once",code="200"')).toBe(6);
    expect(delta('gatehouse_requests_total', 'server="m_once",code="503"')).toBe(3);
    expect(delta('gatehouse_request_duration_seconds_count', 'server="m_once",code="200"')).toBe(6);
    expect(delta('gatehouse_request_duration_seconds_bucket', 'server="m_once",code="503",le="+Inf"')).toBe(3);
  });

  it('per_host labels each configured host, lowercased; hosts no site names are _other', async () => {
    const e = envFor(
      '{\n\tmetrics {\n\t\tper_host\n\t}\n}\nhttp://a.test, http://b.test {\n\trespond "hi"\n}\n:80 {\n\trespond "other"\n}\n',
      'm_per_host',
    );
    const before = await scrapeText(e, exec, TOKEN);
    for (let i = 0; i < 3; i++) expect((await get(e, 'http://a.test/')).text).toBe('hi');
    for (let i = 0; i < 2; i++) expect((await get(e, 'http://B.TEST/')).text).toBe('hi');
    for (const host of ['evil.test', 'x.evil.test', 'a.test.evil'])
      expect((await get(e, `http://${host}/`)).text).toBe('other');
    const text = await scrapeText(e, exec, TOKEN);
    const delta = (name: string, labels: string) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('caddy_http_requests_total', 'server="m_per_host",handler="subroute",host="a.test"')).toBe(3);
    expect(delta('caddy_http_requests_total', 'server="m_per_host",handler="subroute",host="b.test"')).toBe(2);
    expect(
      delta(
        'caddy_http_request_duration_seconds_count',
        'server="m_per_host",handler="subroute",host="b.test",code="200",method="GET"',
      ),
    ).toBe(2);
    // Caddy 2.11's cardinality guard: one series for every host no host matcher names.
    expect(text).not.toContain('evil');
    expect(delta('caddy_http_requests_total', 'server="m_per_host",handler="subroute",host="_other"')).toBe(3);
  });

  it('records no caddy_http_* series without the metrics option', async () => {
    // A server name no other test uses, so any caddy_http_* series with it could only come from these requests.
    const config = JSON.stringify({
      apps: {
        http: {
          servers: {
            no_metrics_srv: { listen: [':80'], routes: [{ handle: [{ handler: 'static_response', body: 'plain' }] }] },
          },
        },
      },
    });
    const e = { ...env, CONFIG_STORE: undefined, METRICS_TOKEN: TOKEN, GATEHOUSE_CONFIG: config };
    for (let i = 0; i < 5; i++) expect((await get(e, 'http://gw.test/')).text).toBe('plain');
    const text = await scrapeText(e, exec, TOKEN);
    expect(text).not.toContain('server="no_metrics_srv"');
  });
});

describe('scrape endpoint', () => {
  it('wants a token and is absent without one', async () => {
    const e = envFor('{\n\tmetrics\n}\n:80 {\n\trespond "hello"\n}\n', 'm_token');
    expect((await scrape(e, undefined, null)).status).toBe(401);
    expect((await scrape(e, undefined, 'wrong')).status).toBe(401);
    const noToken = { ...e, METRICS_TOKEN: undefined };
    const res = await scrape(noToken);
    expect(await res.text()).toBe('hello'); // the gateway served it as an ordinary request
  });

  it('takes the admin token too, and moves with ADMIN_PATH', async () => {
    const e = envFor('{\n\tmetrics\n}\n:80 {\n\trespond "site"\n}\n', 'm_admin', {
      METRICS_TOKEN: undefined,
      ADMIN_TOKEN: 'adm',
      ADMIN_PATH: '/ops/',
    });
    const res = await scrape(e, '/ops/metrics', 'adm');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE');
  });

  it('serves at METRICS_PATH, and the default path is then an ordinary request', async () => {
    const e = envFor('{\n\tmetrics\n}\n:80 {\n\trespond "site"\n}\n', 'm_path', { METRICS_PATH: '/internal/prom' });
    const res = await scrape(e, '/internal/prom');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/plain; version=0.0.4');
    expect(await res.text()).toContain('caddy_http_requests_total');
    expect(await (await scrape(e, '/gatehouse-admin/metrics')).text()).toBe('site');
    // A path that merely contains it is not the endpoint either.
    expect(await (await scrape(e, '/internal/prom/x')).text()).toBe('site');
  });

  it('answers 503 (and counts the error) when a shard cannot be read, rather than a partial scrape', async () => {
    const real = (env as unknown as { METRICS: DurableObjectNamespace }).METRICS;
    let broken = true;
    const { ns } = watchNamespace(real, () => broken);
    const e = envFor('{\n\tmetrics\n}\n:80 {\n\trespond "x"\n}\n', 'm_shard_down', { METRICS: ns });
    const before =
      sample(
        await scrapeText({ ...e, METRICS: real }, exec, TOKEN),
        'gatehouse_durable_object_errors_total',
        'object="MetricsShard"',
      ) ?? 0;
    const res = await scrape(e);
    expect(res.status).toBe(503);
    broken = false;
    const text = await scrapeText(e, exec, TOKEN);
    // One failed dump per shard (METRICS_SHARDS defaults to 4).
    expect(sample(text, 'gatehouse_durable_object_errors_total', 'object="MetricsShard"')! - before).toBe(4);
  });

  it('counts a ConfigStore that cannot give the config gauges, and still answers without them', async () => {
    const real = (env as unknown as { CONFIG_STORE: DurableObjectNamespace }).CONFIG_STORE;
    const { ns } = watchNamespace(real, () => true);
    const e = envFor('{\n\tmetrics\n}\n:80 {\n\trespond "x"\n}\n', 'm_store_down');
    const withStore = { ...e, CONFIG_STORE: real };
    const count = (t: string) => sample(t, 'gatehouse_durable_object_errors_total', 'object="ConfigStore"') ?? 0;
    const before = count(await scrapeText(withStore, exec, TOKEN));
    const down = await scrapeText({ ...e, CONFIG_STORE: ns }, exec, TOKEN);
    expect(down).not.toContain('gatehouse_config_active_version');
    const after = await scrapeText(withStore, exec, TOKEN);
    expect(after).toContain('gatehouse_config_active_version');
    expect(count(after) - before).toBe(1);
  });
});
