import { ConfigError } from '../config/errors.ts';
import { goRegexp } from '../http/handlers/regexp.ts';
import type { RequestContext, Template } from '../http/types.ts';

// Caddy's HeaderOps (add, set, delete, replace) for header_up/header_down. Names and values are ReplaceKnown
// templates, as in Caddy's headers module.

export type HeaderOpsFn = (h: Headers, ctx: RequestContext) => void;
type Compile = (s: string) => Template;

interface Replacement {
  field: string;
  search?: Template;
  regexp?: RegExp;
  replace: Template;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, what: string, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new ConfigError(`${what} must be a list of strings`, path);
  return v as string[];
}

function fieldMap(v: unknown, what: string, path: string, compile: Compile): Array<[Template, Template[]]> {
  if (v === undefined || v === null) return [];
  if (!isRecord(v)) throw new ConfigError(`${what} must be an object`, path);
  return Object.entries(v).map(([k, vals]) => [compile(k), strings(vals, `${what}.${k}`, path).map(compile)]);
}

/** Compiles {add,set,delete,replace}; `extra` names sibling fields the caller handles (require, deferred). */
export function compileHeaderOps(json: unknown, path: string, compile: Compile, extra: readonly string[] = []): HeaderOpsFn | undefined {
  if (json === undefined || json === null) return undefined;
  if (!isRecord(json)) throw new ConfigError('header operations must be an object', path);
  for (const k of Object.keys(json)) {
    if (!['add', 'set', 'delete', 'replace', ...extra].includes(k)) throw new ConfigError(`header operations: unsupported field "${k}"`, path);
  }
  const add = fieldMap(json.add, 'add', path, compile);
  const set = fieldMap(json.set, 'set', path, compile);
  const deletes = strings(json.delete, 'delete', path).map(compile);
  const reps: Replacement[] = [];
  if (json.replace !== undefined) {
    if (!isRecord(json.replace)) throw new ConfigError('replace must be an object', path);
    for (const [field, list] of Object.entries(json.replace)) {
      if (!Array.isArray(list)) throw new ConfigError(`replace.${field} must be a list`, path);
      for (const r of list) {
        if (!isRecord(r)) throw new ConfigError(`replace.${field} entries must be objects`, path);
        const re = typeof r.search_regexp === 'string' && r.search_regexp !== '' ? goRegexp(r.search_regexp, path, true) : undefined;
        const search = typeof r.search === 'string' ? compile(r.search) : undefined;
        reps.push({ field, regexp: re, search: re ? undefined : search, replace: compile(typeof r.replace === 'string' ? r.replace : '') });
      }
    }
  }
  return (h, ctx) => {
    for (const [f, vs] of add) {
      const name = f(ctx);
      for (const v of vs) h.append(name, v(ctx));
    }
    for (const [f, vs] of set) h.set(f(ctx), vs.map((v) => v(ctx)).join(','));
    for (const d of deletes) deleteField(h, d(ctx));
    for (const r of reps) {
      const names = r.field === '*' ? [...h.keys()] : [r.field];
      for (const name of names) {
        const cur = h.get(name);
        if (cur === null) continue;
        const rep = r.replace(ctx);
        const next = r.regexp ? cur.replace(r.regexp, rep.replace(/\$\{?(\w+)\}?/g, '$$<$1>').replace(/\$<(\d+)>/g, '$$$1')) : cur.split(r.search?.(ctx) ?? '').join(rep);
        h.set(name, next);
      }
    }
  };
}

/** `*` deletes all; `prefix*`, `*suffix` and `*sub*` patterns match names case-insensitively. */
function deleteField(h: Headers, pattern: string): void {
  const p = pattern.toLowerCase();
  if (p === '*') {
    for (const n of [...h.keys()]) h.delete(n);
    return;
  }
  const lead = p.startsWith('*');
  const trail = p.endsWith('*');
  if (!lead && !trail) {
    h.delete(p);
    return;
  }
  const core = p.slice(lead ? 1 : 0, trail ? -1 : undefined);
  for (const n of [...h.keys()]) {
    if (lead && trail ? n.includes(core) : lead ? n.endsWith(core) : n.startsWith(core)) h.delete(n);
  }
}
