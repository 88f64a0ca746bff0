/**
 * The Prometheus text exposition format (0.0.4), byte for byte as prom-client 15's `Registry.metrics()` renders
 * collectors that report precomputed values (test/node/metrics-exposition.test.ts compares the two). Gatehouse
 * used prom-client for this until its 45 KB, and the ten Node built-in modules it imports (each one a module the
 * Workers runtime evaluates when the isolate starts), became the largest avoidable part of a cold start.
 */

/** One line of a metric family: its series name (default: the family's), labels and value. */
export interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  values: Sample[];
}

/** Families in the given order, separated by a blank line, with a final newline (also when there are none). */
export function renderExposition(families: readonly MetricFamily[]): string {
  return `${families.map(renderFamily).join('\n\n')}\n`;
}

function renderFamily(family: MetricFamily): string {
  const name = escapeString(family.name);
  const lines = [`# HELP ${name} ${escapeString(family.help)}`, `# TYPE ${name} ${family.type}`];
  for (const sample of family.values) {
    const labels = Object.entries(sample.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    lines.push(
      `${sample.metricName ?? name}${labels.length ? `{${labels.join(',')}}` : ''} ${valueString(sample.value)}`,
    );
  }
  return lines.join('\n');
}

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(v: string | number): string | number {
  return typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v;
}

/** prom-client's spelling, including `Nan`. */
function valueString(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}
