import { ConfigError } from '../config/errors.ts';
import { statusMatches } from './passive-health.ts';

// Caddy's ResponseMatcher (handle_response `match`, header_down `require`): any listed status (codes below 100 are
// classes) AND every listed header. A header listed with null must be absent; an empty list only requires presence;
// values may use a leading or trailing `*` wildcard.

export type ResponseMatch = (status: number, headers: Headers) => boolean;

export function compileResponseMatch(json: unknown, path: string): ResponseMatch | undefined {
  if (json === undefined || json === null) return undefined;
  if (typeof json !== 'object' || Array.isArray(json)) throw new ConfigError('response matcher must be an object', path);
  const rec = json as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if (k !== 'status_code' && k !== 'headers') throw new ConfigError(`response matcher: unsupported field "${k}"`, path);
  }
  const codes = rec.status_code ?? [];
  if (!Array.isArray(codes) || !codes.every((c) => Number.isInteger(c))) throw new ConfigError('status_code must be a list of integers', path);
  const fields: Array<[string, string[] | null]> = [];
  if (rec.headers !== undefined) {
    if (typeof rec.headers !== 'object' || rec.headers === null || Array.isArray(rec.headers)) {
      throw new ConfigError('response matcher headers must be an object', path);
    }
    for (const [name, vals] of Object.entries(rec.headers)) {
      if (vals !== null && (!Array.isArray(vals) || !vals.every((v) => typeof v === 'string'))) {
        throw new ConfigError(`response matcher header ${name} must be a list of strings`, path);
      }
      fields.push([name, vals as string[] | null]);
    }
  }
  const statuses = codes as number[];
  return (status, headers) => {
    if (statuses.length > 0 && !statuses.some((c) => statusMatches(status, c))) return false;
    for (const [name, allowed] of fields) {
      const actual = headers.get(name);
      if (allowed === null) {
        if (actual !== null) return false;
        continue;
      }
      if (actual === null) return false;
      if (allowed.length === 0) continue;
      const values = actual.split(/,\s*/);
      if (!values.some((v) => allowed.some((a) => wildcardMatch(v, a)))) return false;
    }
    return true;
  };
}

function wildcardMatch(value: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const lead = pattern.startsWith('*');
  const trail = pattern.endsWith('*');
  const core = pattern.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (lead && trail) return value.includes(core);
  if (lead) return value.endsWith(core);
  if (trail) return value.startsWith(core);
  return value === pattern;
}
