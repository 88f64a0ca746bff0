import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { renderExposition, type MetricFamily } from '../../src/metrics/exposition.ts';

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
        { labels: { server: 'srv0', handler: 'reverse_proxy', code: 200, method: 'GET' }, value: 1.25, metricName: 'caddy_http_request_duration_seconds_sum' },
        { labels: { server: 'srv0', handler: 'reverse_proxy', code: 200, method: 'GET' }, value: 6, metricName: 'caddy_http_request_duration_seconds_count' },
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
