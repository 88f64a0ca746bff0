import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/metrics/catalog.ts';
import { renderExposition, type MetricFamily } from '../../src/metrics/exposition.ts';
import { formatGoFloat } from '../../src/metrics/go-float.ts';
import { renderMetrics } from '../../src/metrics/render.ts';

// The scrape endpoint renders the Prometheus text format itself (src/metrics/exposition.ts) instead of shipping
// prom-client in the Worker. Its output must stay what prom-client's registry renders for the same precomputed
// values, which is what Gatehouse served before: checked here against prom-client itself.

async function viaPromClient(families: MetricFamily[]): Promise<string> {
  const registry = new Registry();
  for (const f of families) {
    registry.registerMetric({
      name: f.name,
      help: f.help,
      type: f.type,
      aggregator: 'sum',
      get: async () => ({ name: f.name, help: f.help, type: f.type, aggregator: 'sum', values: f.values }),
      reset: () => {},
    } as never);
  }
  return registry.metrics();
}

const cases: Record<string, MetricFamily[]> = {
  'no metrics': [],
  'counter without labels': [{ name: 'a_total', help: 'Plain.', type: 'counter', values: [{ labels: {}, value: 3 }] }],
  'family without samples': [{ name: 'empty', help: 'None yet.', type: 'gauge', values: [] }],
  'label escaping': [
    {
      name: 'caddy_http_requests_total',
      help: 'Help with a \\ backslash\nand a newline "quoted".',
      type: 'counter',
      values: [
        { labels: { server: 'srv0', handler: 'subroute' }, value: 1 },
        { labels: { server: 'a"b', handler: 'c\\d\ne' }, value: 2 },
        { labels: { server: '', handler: 'ünïcode ✓' }, value: 0 },
      ],
    },
  ],
  'special values': [
    {
      name: 'g',
      help: 'Gauge.',
      type: 'gauge',
      values: [
        { labels: { k: 'nan' }, value: NaN },
        { labels: { k: 'inf' }, value: Infinity },
        { labels: { k: '-inf' }, value: -Infinity },
        { labels: { k: 'neg' }, value: -0.5 },
        { labels: { k: 'zero' }, value: -0 },
        { labels: { k: 'big' }, value: 1e21 },
        { labels: { k: 'tiny' }, value: 1.5e-7 },
        { labels: { k: 'int' }, value: 12345678901234 },
      ],
    },
  ],
  histogram: [
    {
      name: 'caddy_http_request_duration_seconds',
      help: 'Histogram of round-trip request durations.',
      type: 'histogram',
      values: [
        ...[0.005, 0.25, 10, '+Inf'].map((le, i) => ({
          labels: { server: 'srv0', handler: 'reverse_proxy', code: 200, method: 'GET', le },
          value: i * 2,
          metricName: 'caddy_http_request_duration_seconds_bucket',
        })),
        {
          labels: { server: 'srv0', handler: 'reverse_proxy', code: 200, method: 'GET' },
          value: 1.25,
          metricName: 'caddy_http_request_duration_seconds_sum',
        },
        {
          labels: { server: 'srv0', handler: 'reverse_proxy', code: 200, method: 'GET' },
          value: 6,
          metricName: 'caddy_http_request_duration_seconds_count',
        },
      ],
    },
    { name: 'after', help: 'A second family.', type: 'counter', values: [{ labels: { x: 'y' }, value: 7 }] },
  ],
};

describe('Prometheus text exposition', () => {
  for (const [name, families] of Object.entries(cases)) {
    it(`renders as prom-client does: ${name}`, async () => {
      expect(renderExposition(families)).toBe(await viaPromClient(families));
    });
  }
});

describe("the scrape's spelling of Caddy's series", () => {
  // Values as Go's strconv.FormatFloat(v, 'g', -1, 64) prints them, which Caddy's client uses for `le`.
  it.each([
    [0.005, '0.005'],
    [0.25, '0.25'],
    [1, '1'],
    [2.5, '2.5'],
    [10, '10'],
    [256, '256'],
    [262144, '262144'],
    [999999, '999999'],
    [1048576, '1.048576e+06'],
    [4194304, '4.194304e+06'],
    [1e6, '1e+06'],
    [123456789, '1.23456789e+08'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [-2e6, '-2e+06'],
  ])('formats %s as Go does: %s', (v, go) => {
    expect(formatGoFloat(v)).toBe(go);
  });

  it('writes bucket bounds from 1e+06 up in exponent form, as Caddy does', async () => {
    const size = METRICS.responseSize;
    const text = await renderMetrics([
      [
        {
          name: size.name,
          kind: 'histogram',
          labels: { server: 's', handler: 'h', code: '200', method: 'GET' },
          buckets: [1, 0, 0, 0, 0, 0, 0, 0, 0],
          sum: 10,
          count: 1,
        },
      ],
    ]);
    expect(text).toContain(
      'caddy_http_response_size_bytes_bucket{server="s",handler="h",code="200",method="GET",le="1.048576e+06"} 1',
    );
    expect(text).toContain('le="4.194304e+06"} 1');
    expect(text).not.toMatch(/le="1048576"/);
  });

  it('exports a zero Durable Object error count per object class before the first error', async () => {
    const errors = METRICS.durableObjectErrors;
    const healthy = await renderMetrics([[]]);
    for (const object of ['ConfigStore', 'MetricsShard', 'RateLimiter', 'UpstreamPool']) {
      expect(healthy).toContain(`gatehouse_durable_object_errors_total{object="${object}"} 0\n`);
    }
    const oneKind = await renderMetrics([
      [{ name: errors.name, kind: 'counter', labels: { object: 'UpstreamPool' }, value: 2 }],
    ]);
    expect(oneKind).toContain('gatehouse_durable_object_errors_total{object="UpstreamPool"} 2\n');
    expect(oneKind).toContain('gatehouse_durable_object_errors_total{object="RateLimiter"} 0\n');
    expect(oneKind.match(/object="UpstreamPool"/g)).toHaveLength(1);
  });
});
