import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/metrics/catalog.ts';

// Every PromQL expression in the dashboards must reference only series Gatehouse exports, so no panel is
// silently empty because of a typo or a metric that was renamed.

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/gatehouse.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ query?: unknown }> };
};

/** Names a histogram or counter exposes in the text format. */
const exported = new Set(
  Object.values(METRICS).flatMap((m) => (m.kind === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])),
);

const PROMQL_WORDS = new Set([
  'sum', 'by', 'rate', 'histogram_quantile', 'max', 'min', 'avg', 'le', 'without', 'irate', 'increase', 'count',
  'label_values', 'server', 'code', 'upstream', 'zone', 'object', 'result', 'fail', 'topk', 'on', 'ignoring',
]);

/** Metric names in an expression: identifiers that are not functions, keywords, labels or inside strings/brackets. */
function metricNames(expr: string): string[] {
  const cleaned = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return (cleaned.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w));
}

describe('Grafana dashboard', () => {
  it('has panels with queries', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    for (const p of dashboard.panels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });

  it('references only exported metrics', () => {
    const used = new Set<string>();
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of names) {
          expect(exported.has(n), `${p.title}: unknown metric ${n} in ${t.expr}`).toBe(true);
          used.add(n);
        }
      }
    }
    // The panels cover traffic, latency, upstream health, rate limits and rollout.
    for (const needed of [
      'caddy_http_requests_total',
      'caddy_http_request_duration_seconds_bucket',
      'caddy_reverse_proxy_upstreams_healthy',
      'gatehouse_rate_limit_denied_total',
      'gatehouse_config_rollout_percent',
    ]) {
      expect(used.has(needed), needed).toBe(true);
    }
  });

  it('catches an unknown metric (the check can fail)', () => {
    expect(metricNames('sum(rate(caddy_http_requests_totl[5m]))').every((n) => exported.has(n))).toBe(false);
  });
});
