import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/metrics/catalog.ts';

// Every PromQL expression in the dashboards must reference only series Gatehouse exports, so no panel is
// silently empty because of a typo or a metric that was renamed.

interface Panel {
  title: string;
  targets?: Array<{ expr: string; legendFormat?: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/gatehouse.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ query?: unknown }> };
};

/** Names a histogram or counter exposes in the text format. */
const exported = new Set(
  Object.values(METRICS).flatMap((m) =>
    m.kind === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
  ),
);

/** Labels Prometheus adds to every series it scrapes (the scrape target's). */
const TARGET_LABELS = ['job', 'instance'];

/**
 * Label names each exported series has: the catalog's, `le` on buckets, `host` on Caddy's HTTP metrics (per_host),
 * and the target labels.
 */
const labelsOf = new Map<string, Set<string>>(
  Object.values(METRICS).flatMap((m) => {
    const base = [...m.labels, ...TARGET_LABELS, ...(m.name.startsWith('caddy_http_') ? ['host'] : [])];
    if (m.kind !== 'histogram') return [[m.name, new Set(base)] as const];
    return [
      [`${m.name}_bucket`, new Set([...base, 'le'])] as const,
      [`${m.name}_sum`, new Set(base)] as const,
      [`${m.name}_count`, new Set(base)] as const,
    ];
  }),
);

/** Label names an expression uses: in selectors, by/without clauses, and the legend's {{label}} references. */
function labelUses(
  expr: string,
  legend = '',
): Array<{ label: string; where: 'selector' | 'grouping' | 'legend'; metric?: string }> {
  const out: Array<{ label: string; where: 'selector' | 'grouping' | 'legend'; metric?: string }> = [];
  const noStrings = expr.replace(/"[^"]*"/g, '""');
  for (const m of noStrings.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g))
      out.push({ label: l[1], where: 'selector', metric: m[1] });
  }
  for (const g of noStrings.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of g[1]
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean))
      out.push({ label: l, where: 'grouping' });
  }
  for (const l of legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g))
    out.push({ label: l[1], where: 'legend' });
  return out;
}

const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'rate',
  'histogram_quantile',
  'max',
  'min',
  'avg',
  'le',
  'without',
  'irate',
  'increase',
  'count',
  'label_values',
  'server',
  'code',
  'upstream',
  'zone',
  'object',
  'result',
  'fail',
  'topk',
  'on',
  'ignoring',
  'job',
  'instance',
  'or',
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
      'gatehouse_requests_total',
      'gatehouse_request_duration_seconds_bucket',
      'caddy_reverse_proxy_upstreams_healthy',
      'gatehouse_rate_limit_denied_total',
      'gatehouse_config_rollout_percent',
    ]) {
      expect(used.has(needed), needed).toBe(true);
    }
  });

  it('uses only label names the referenced metrics have (selectors, by clauses, legends, variables)', () => {
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        const grouping = labelUses(t.expr)
          .filter((u) => u.where === 'grouping')
          .map((u) => u.label);
        for (const use of labelUses(t.expr, t.legendFormat)) {
          const where = `${p.title}: ${use.where} label ${use.label} in ${t.expr}`;
          if (use.metric) {
            expect(labelsOf.get(use.metric)?.has(use.label), where).toBe(true);
          } else if (use.where === 'grouping') {
            // Grouping by a label some metric of the expression lacks would make one empty group of it.
            for (const n of names) expect(labelsOf.get(n)?.has(use.label), `${where} (${n})`).toBe(true);
          } else {
            // A legend can only show labels that survive the aggregation.
            const survives = grouping.length
              ? grouping.includes(use.label)
              : names.every((n) => labelsOf.get(n)?.has(use.label));
            expect(survives, where).toBe(true);
          }
        }
      }
    }
    for (const v of dashboard.templating.list) {
      const q = typeof v.query === 'object' && v.query !== null ? (v.query as { query?: string }).query : v.query;
      const m =
        typeof q === 'string'
          ? /label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/.exec(q)
          : null;
      if (!m) continue;
      expect(exported.has(m[1]), q as string).toBe(true);
      expect(labelsOf.get(m[1])?.has(m[2]), q as string).toBe(true);
    }
  });

  it('can tell gateways apart: every series selector is scoped to the chosen job and instance', () => {
    const names = dashboard.templating.list.map((v) => (v as { name?: string }).name);
    expect(names).toEqual(expect.arrayContaining(['job', 'instance']));
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        const selectors = [...t.expr.matchAll(/\b((?:caddy|gatehouse)_[a-z_]+)(\{[^}]*\})?/g)];
        expect(selectors.length, t.expr).toBeGreaterThan(0);
        for (const [whole, , labels] of selectors) {
          expect(labels ?? '', `${p.title}: ${whole}`).toContain('job=~"$job"');
          expect(labels ?? '', `${p.title}: ${whole}`).toContain('instance=~"$instance"');
        }
      }
    }
  });

  it('uses the data source chosen at import', () => {
    const raw = readFileSync(new URL('../../dashboards/gatehouse.json', import.meta.url), 'utf8');
    const { __inputs: inputs, ...rest } = JSON.parse(raw) as { __inputs: Array<{ name: string }> };
    for (const input of inputs) expect(JSON.stringify(rest), input.name).toContain(`\${${input.name}}`);
  });

  it("counts a request once in the request totals, latency and 5xx panels (Caddy's series only as a fallback)", () => {
    // Caddy's HTTP series count a request once per matched top-level route: summing them over handlers over-counts.
    const once =
      /^(?:histogram_quantile\([\d.]+, )?sum by \([a-z]+\) \(rate\(gatehouse_request(?:s_total|_duration_seconds_bucket)\{[^}]*\}\[\$__rate_interval\]\)\) or on\(\) /;
    const totals = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    for (const t of totals) {
      if (!/caddy_http_request(?:s_total|_duration_seconds_(?:count|bucket))\{/.test(t.expr)) continue;
      expect(t.expr, t.title).toMatch(once);
    }
    expect(totals.filter((t) => once.test(t.expr)).length).toBeGreaterThanOrEqual(5);
    // Caddy's per-handler series stay where the panel shows them per handler.
    for (const t of totals.filter((x) => /caddy_http_request(?:s_in_flight|_errors_total)\{/.test(x.expr)))
      expect(t.expr).toContain('by (server, handler)');
  });

  it('paints upstream health as up (green) and down (red)', () => {
    const health = dashboard.panels.find((p) =>
      p.targets?.some((t) => t.expr.includes('caddy_reverse_proxy_upstreams_healthy')),
    );
    const defaults = (
      health as unknown as {
        fieldConfig: {
          defaults: { mappings?: Array<{ type: string; options: Record<string, { text: string; color: string }> }> };
        };
      }
    ).fieldConfig.defaults;
    const values = defaults.mappings?.find((m) => m.type === 'value')?.options ?? {};
    expect(values['1']).toMatchObject({ text: 'up', color: 'green' });
    expect(values['0']).toMatchObject({ text: 'down', color: 'red' });
  });

  it('catches a label a metric does not have (the label check can fail)', () => {
    const uses = labelUses('sum by (zone) (rate(caddy_http_requests_total{handler="x"}[5m]))', '{{upstream}}');
    expect(uses.find((u) => u.where === 'grouping')?.label).toBe('zone');
    expect(labelsOf.get('caddy_http_requests_total')?.has('zone')).toBe(false);
    expect(uses.find((u) => u.where === 'selector')).toEqual({
      label: 'handler',
      where: 'selector',
      metric: 'caddy_http_requests_total',
    });
    expect(uses.find((u) => u.where === 'legend')?.label).toBe('upstream');
  });

  it('catches an unknown metric (the check can fail)', () => {
    expect(metricNames('sum(rate(caddy_http_requests_totl[5m]))').every((n) => exported.has(n))).toBe(false);
  });
});
