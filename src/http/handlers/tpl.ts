import { compileTemplate } from '../placeholders/index.ts';
import type { Template } from '../types.ts';

// Caddy decides per field what an unknown placeholder becomes: ReplaceAll → empty string,
// ReplaceKnown → left verbatim. Handlers pick one of these two; this file is the only place that knows how the
// placeholder compiler spells that choice.

const constant =
  (s: string): Template =>
  () =>
    s;

/** ReplaceAll: unknown placeholders become empty (status codes, rewrite targets, vars values, Location …). */
export function replaceAll(s: string): Template {
  if (!s.includes('{')) return constant(s);
  return compileTemplate(s, { unknown: 'empty' });
}

/** ReplaceKnown: unknown placeholders stay as written (respond bodies, header values, error messages). */
export function replaceKnown(s: string): Template {
  if (!s.includes('{')) return constant(s);
  return compileTemplate(s, { unknown: 'keep' });
}
