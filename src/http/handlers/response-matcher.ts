import type { RequestContext } from '../types.ts';
import { checkFields, headerMap, isRecord, optRecord } from './util.ts';
import { ConfigError } from '../../config/errors.ts';
import { replaceAll } from './tpl.ts';

/**
 * Caddy's caddyhttp.ResponseMatcher (`require` of deferred header ops, encode `match`, proxy handle_response):
 * any listed status (a code < 100 matches its class, e.g. 2 = 2xx) AND every listed header.
 */
export type ResponseMatcher = (status: number, headers: Headers, ctx: RequestContext) => boolean;

export function compileResponseMatcher(json: unknown, path: string): ResponseMatcher | undefined {
  const rec = optRecord(json, 'response matcher', path);
  if (!rec) return undefined;
  checkFields(rec, ['status_code', 'headers'], path, 'response matcher');
  const codes = rec.status_code;
  if (codes !== undefined && (!Array.isArray(codes) || !codes.every((c) => Number.isInteger(c)))) {
    throw new ConfigError('response matcher status_code must be a list of integers', path);
  }
  const statuses = (codes as number[] | undefined) ?? [];
  // `null` for a field means "must be absent"; keep that distinct from an empty list ("must be present").
  const fields: Array<[string, string[] | null]> = [];
  if (rec.headers !== undefined) {
    if (!isRecord(rec.headers)) throw new ConfigError('response matcher headers must be an object', path);
    for (const [name, vals] of Object.entries(rec.headers)) {
      fields.push([name, vals === null ? null : headerMap({ [name]: vals }, 'headers', path)[0][1]]);
    }
  }
  const templates = fields.map(([, vals]) => vals?.map((v) => replaceAll(v)) ?? null);
  return (status, headers, ctx) => {
    if (statuses.length > 0 && !statuses.some((c) => (c < 100 ? Math.floor(status / 100) === c : status === c)))
      return false;
    for (let i = 0; i < fields.length; i++) {
      const actual = headers.get(fields[i][0]);
      const allowed = templates[i];
      if (allowed === null) {
        if (actual !== null) return false;
        continue;
      }
      if (actual === null) return false;
      if (allowed.length === 0) continue;
      const values = actual.split(/,\s*/);
      const ok = values.some((v) => allowed.some((t) => headerValueMatches(v, t(ctx))));
      if (!ok) return false;
    }
    return true;
  };
}

/** Caddy's header value wildcards: `*`, `*sub*`, `*suffix`, `prefix*`, else exact. */
export function headerValueMatches(actual: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const lead = pattern.startsWith('*');
  const trail = pattern.endsWith('*');
  if (lead && trail) return actual.includes(pattern.slice(1, -1));
  if (lead) return actual.endsWith(pattern.slice(1));
  if (trail) return actual.startsWith(pattern.slice(0, -1));
  return actual === pattern;
}
