import { lookupProvided } from '../handlers/providers.ts';
import type { RequestContext, Template } from '../types.ts';
import { globalResolver, type Resolver } from './global.ts';
import { httpResolver, toStr } from './http.ts';
import { type PlaceholderNode, scanTemplate, type TemplateNode } from './scan.ts';

// Placeholder templates, compiled once per config field (Caddy parses on every Replace call).
//
// Unknown placeholders: Caddy's ReplaceAll turns them into "" and ReplaceKnown leaves them verbatim. Which one a
// field uses is the caller's decision: ReplaceAll (`unknown: 'empty'`, the default) for rewrite
// targets, status codes, redirect Location, upstream dials, matcher values, vars values, rate-limit keys; ReplaceKnown
// (`unknown: 'keep'`) for respond bodies, header values, error messages and query replace strings.
//
// Resolution order (Caddy's provider order): global (env.*, system.*, time.*), then request statics set by handlers
// (ctx.vars entries under their full `http.*` name: regexp captures, reverse_proxy results, auth user …), then the
// HTTP placeholders, then providers added by handlers (map).
//
// Besides full names, these runtime aliases are accepted (Caddyfile shorthands normally rewritten at adapt time, but
// JSON written by hand or by the admin API may use them): vars.X, re.X, err.X, rp.X, resp.X, uuid.

export interface TemplateOptions {
  /** 'empty' = ReplaceAll (default), 'keep' = ReplaceKnown. */
  unknown?: 'empty' | 'keep';
  /** Same as unknown: 'keep'. */
  keepUnknown?: boolean;
  /** Written in place of a placeholder whose value is empty (Caddy's `empty` argument). */
  empty?: string;
}

const ALIASES: Array<[string, string]> = [
  ['vars.', 'http.vars.'],
  ['re.', 'http.regexp.'],
  ['err.', 'http.error.'],
  ['rp.', 'http.reverse_proxy.'],
  ['resp.', 'http.intercept.'],
];

function canonicalKey(key: string): string {
  if (key === 'uuid') return 'http.request.uuid';
  for (const [short, full] of ALIASES) if (key.startsWith(short)) return full + key.slice(short.length);
  return key;
}

const cache = new Map<string, Resolver>();

/** Placeholder families owned by other modules (the reverse proxy's results), by name prefix. */
const families: Array<{ prefix: string; resolver: (name: string) => Resolver | undefined }> = [];

/**
 * Lets a module answer the placeholders under `prefix` from its own per-request state; `resolver` gets the name
 * after the prefix and returns undefined for names it does not know. Registered when that module loads, before
 * any config is compiled.
 */
export function registerPlaceholderFamily(prefix: string, resolver: (name: string) => Resolver | undefined): void {
  families.push({ prefix, resolver });
  cache.clear();
}

function familyResolver(key: string): Resolver | undefined {
  for (const f of families) if (key.startsWith(f.prefix)) return f.resolver(key.slice(f.prefix.length));
  return undefined;
}
const unknown: Resolver = () => undefined;
// No provider knows names with braces, quotes or white space (these are JSON/CSS text in bodies), nor huge names.
const NOT_A_NAME = /[{}"'\s]/;

/** The compiled lookup for one placeholder key (cached; keys come from config, so the set is bounded). */
export function placeholderResolver(rawKey: string): Resolver {
  if (rawKey.length > 256 || NOT_A_NAME.test(rawKey)) return unknown;
  const hit = cache.get(rawKey);
  if (hit) return hit;
  const key = canonicalKey(rawKey);
  const global = globalResolver(key);
  let r: Resolver;
  if (global) {
    r = global;
  } else {
    const http = httpResolver(key) ?? familyResolver(key);
    const static_ = key.startsWith('http.') || key.startsWith('gatehouse.');
    r = (ctx) => {
      if (static_ && ctx.vars.has(key)) return toStr(ctx.vars.get(key));
      const v = http?.(ctx);
      if (v !== undefined) return v;
      return lookupProvided(ctx, key) ?? (key !== rawKey ? lookupProvided(ctx, rawKey) : undefined);
    };
  }
  if (cache.size < 10_000) cache.set(rawKey, r);
  return r;
}

/** Value of placeholder `key` for this request, or undefined when the placeholder is unknown. */
export function resolvePlaceholder(ctx: RequestContext, key: string): string | undefined {
  return placeholderResolver(key)(ctx);
}

type CompiledNode = TemplateNode<Resolver>;

/**
 * Compiles `input` into a Template. Text without `{` (and without escapes) is returned as a constant.
 * `opts` may also be just 'empty' / 'keep' (the proxy's ProxyDeps.compileTemplate shape).
 */
export function compileTemplate(input: string, options: TemplateOptions | 'empty' | 'keep' = {}): Template {
  const opts: TemplateOptions = typeof options === 'string' ? { unknown: options } : options;
  if (!input.includes('{') && !input.includes('\\')) return () => input;
  const keep = opts.unknown === 'keep' || opts.keepUnknown === true;
  const empty = opts.empty ?? '';
  const root: CompiledNode = scanTemplate(input, placeholderResolver);
  if (!root.ph) {
    const text = root.text;
    return () => text;
  }
  // A single whole-string placeholder is common ("{http.request.host}"): skip the loop.
  if (root.text === '' && root.ph.after.text === '' && !root.ph.after.ph && !keep) {
    const get = root.ph.get;
    return (ctx) => get(ctx) || empty;
  }
  return (ctx) => {
    let out = '';
    let node: CompiledNode | undefined = root;
    while (node) {
      out += node.text;
      const ph: PlaceholderNode<Resolver> | undefined = node.ph;
      if (!ph) break;
      const v = ph.get(ctx);
      if (v === undefined && keep) {
        out += '{';
        node = ph.inside;
        continue;
      }
      out += v || empty;
      node = ph.after;
    }
    return out;
  };
}

/** Expands a string once (for callers that cannot compile ahead, e.g. one-off values). */
export function replaceAll(ctx: RequestContext, input: string, empty = ''): string {
  return compileTemplate(input, { empty })(ctx);
}

export { toStr } from './http.ts';
