import { ConfigError } from '../../config/errors.ts';
import type { HandlerJSON } from '../../config/caddy-json.ts';

// Small validators for module JSON: a field Gatehouse does not implement must fail the compile, not be silently ignored.

export function checkFields(json: object, allowed: readonly string[], path: string, module: string): void {
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) throw new ConfigError(`${module}: unsupported field "${key}"`, path);
  }
}

/** Checks a handler's fields (the `handler` key itself is always allowed). */
export function checkHandler(json: HandlerJSON, allowed: readonly string[], path: string): void {
  checkFields(json, ['handler', ...allowed], path, `handler "${json.handler}"`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(v: unknown, what: string, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${what} must be a string`, path);
  return v;
}

export function optBool(v: unknown, what: string, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ConfigError(`${what} must be a boolean`, path);
  return v;
}

export function optNumber(v: unknown, what: string, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${what} must be a number`, path);
  return v;
}

export function optRecord(v: unknown, what: string, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw new ConfigError(`${what} must be an object`, path);
  return v;
}

export function stringList(v: unknown, what: string, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new ConfigError(`${what} must be a list of strings`, path);
  return v as string[];
}

/** Go's http.Header shape in JSON: field → list of values. */
export function headerMap(v: unknown, what: string, path: string): Array<[string, string[]]> {
  const rec = optRecord(v, what, path);
  if (!rec) return [];
  return Object.entries(rec).map(([k, vals]) => [k, stringList(vals, `${what}.${k}`, path)]);
}

/** A "weak string" status like Caddy's WeakString: JSON number or string (possibly a placeholder). */
export function weakString(v: unknown, what: string, path: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string') return v;
  throw new ConfigError(`${what} must be an integer or a string`, path);
}
