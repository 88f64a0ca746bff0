import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// What a Grafana dashboard import relies on, checked without a Grafana (none is packaged here): the schema version,
// panel ids and grid, data source references, and template variables defined before they are used.

interface DatasourceRef {
  type?: string;
  uid?: string;
}
interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  gridPos: GridPos;
  targets?: Array<{ refId?: string; expr?: string; datasource?: DatasourceRef }>;
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  datasource?: DatasourceRef;
  refresh?: number;
}
interface Dashboard {
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const raw = readFileSync(new URL('../../dashboards/gatehouse.json', import.meta.url), 'utf8');
const dashboard = JSON.parse(raw) as Dashboard;

/** Grafana's own variables, usable without a definition. */
const BUILTIN_VARIABLES = new Set([
  '__rate_interval',
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__all',
  '__dashboard',
  '__from',
  '__to',
  '__org',
  '__user',
  '__timeFilter',
  '__auto',
]);

/** Core panel plugins (shipped with Grafana, so the import needs no plugin install). */
const CORE_PANEL_TYPES = new Set([
  'timeseries',
  'state-timeline',
  'status-history',
  'stat',
  'gauge',
  'bargauge',
  'barchart',
  'table',
  'text',
  'heatmap',
  'histogram',
  'piechart',
  'logs',
  'row',
]);

/** The variables a string references, in Grafana's three spellings: $name, ${name[:format]}, [[name[:format]]]. */
function variableRefs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g))
    out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Grid problems: positions off the 24-column grid, and panels that overlap (Grafana would move them on import). */
function gridProblems(panels: Array<Pick<Panel, 'title' | 'gridPos'>>): string[] {
  const out: string[] = [];
  for (const { title, gridPos: g } of panels) {
    const ints = [g?.x, g?.y, g?.w, g?.h].every((n) => Number.isInteger(n));
    if (!ints || g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > 24)
      out.push(`${title}: gridPos ${JSON.stringify(g)}`);
  }
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].gridPos;
      const b = panels[j].gridPos;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        out.push(`${panels[i].title} overlaps ${panels[j].title}`);
    }
  }
  return out;
}

/** Variables used before (or without) their definition: Grafana resolves them in list order. */
function variableOrderProblems(list: Variable[], inputs: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const defined = new Set<string>();
  for (const v of list) {
    if (defined.has(v.name)) out.push(`variable ${v.name} is defined twice`);
    for (const ref of variableRefs(JSON.stringify({ query: v.query, datasource: v.datasource }))) {
      if (!defined.has(ref) && !BUILTIN_VARIABLES.has(ref) && !inputs.has(ref))
        out.push(`variable ${v.name} uses $${ref} before it is defined`);
    }
    defined.add(v.name);
  }
  return out;
}

const inputs = new Set((dashboard.__inputs ?? []).map((i) => i.name));
const variables = new Set(dashboard.templating.list.map((v) => v.name));
const PANEL_DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('Grafana import checks', () => {
  it('has a schema version with object data source references, and a uid Grafana accepts', () => {
    // 36 is the version from which data sources are {type, uid} references, as every panel here has.
    expect(Number.isInteger(dashboard.schemaVersion)).toBe(true);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.title.length).toBeGreaterThan(0);
  });

  it('gives every panel a unique id, a core panel type and unique target refIds', () => {
    const ids = dashboard.panels.map((p) => p.id);
    for (const id of ids) expect(Number.isInteger(id) && id > 0, String(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(CORE_PANEL_TYPES.has(p.type), `${p.title}: ${p.type}`).toBe(true);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      for (const r of refIds) expect(r, p.title).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });

  it('lays the panels on the 24-column grid without overlaps', () => {
    expect(gridProblems(dashboard.panels)).toEqual([]);
  });

  it('points every panel and query at the data source variable, which defaults to the one picked at import', () => {
    for (const p of dashboard.panels) {
      expect(p.datasource, p.title).toEqual(PANEL_DATASOURCE);
      for (const t of p.targets ?? []) if (t.datasource) expect(t.datasource, p.title).toEqual(PANEL_DATASOURCE);
    }
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query'))
      expect(v.datasource, v.name).toEqual(PANEL_DATASOURCE);
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource') as Variable & {
      current?: { value?: string };
    };
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: '${DS_PROMETHEUS}' } });
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
  });

  it('defines every template variable before use, and query variables load their values (on load or time range change)', () => {
    expect(variableOrderProblems(dashboard.templating.list, inputs)).toEqual([]);
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query'))
      expect([1, 2], v.name).toContain(v.refresh);
  });

  it('references only variables that exist, in every panel', () => {
    const unknown = dashboard.panels.flatMap((p) =>
      variableRefs(JSON.stringify(p))
        .filter((r) => !variables.has(r) && !BUILTIN_VARIABLES.has(r) && !inputs.has(r))
        .map((r) => `${p.title}: $${r}`),
    );
    expect(unknown).toEqual([]);
  });

  it('catches overlapping panels, variables used early and unknown references (the checks can fail)', () => {
    const at = (title: string, x: number, y: number, w = 12, h = 8) => ({ title, gridPos: { x, y, w, h } });
    expect(gridProblems([at('a', 0, 0), at('b', 6, 4)])).toEqual(['a overlaps b']);
    expect(gridProblems([at('a', 0, 0), at('b', 12, 0), at('c', 0, 8)])).toEqual([]);
    expect(gridProblems([at('wide', 20, 0)])).toHaveLength(1);
    const list: Variable[] = [
      { name: 'instance', type: 'query', query: 'label_values(up{job=~"$job"}, instance)' },
      { name: 'job', type: 'query', query: 'label_values(up, job)' },
    ];
    expect(variableOrderProblems(list, inputs)).toEqual(['variable instance uses $job before it is defined']);
    expect(variableRefs('rate(x{a=~"${job:regex}",b="[[server]]"}[$__rate_interval])')).toEqual([
      'job',
      'server',
      '__rate_interval',
    ]);
  });
});
