import { locatedError } from '../caddyfile/errors.ts';
import { formatCaddyfile } from '../caddyfile/formatter.ts';
import { parseCaddyfile } from '../caddyfile/parser.ts';
import type { ParseOptions, ServerBlock } from '../caddyfile/serverblock.ts';
import type { CaddyConfigJSON, HttpAppJSON } from '../config/caddy-json.ts';
import './bind.ts';
import './directives/index.ts';
import { IGNORED_STATE_KEY } from './directives/util.ts';
import type { NamedCustomLog } from './directives/log.ts';
import type { ConfigValue, Warning } from './helper.ts';
import { HelperImpl, runDirective, type AdaptContext } from './helper-impl.ts';
import { defineMatchers } from './matchers.ts';
import { parseNamedRoutes, takeInvokedNames } from './named-routes.ts';
import { evaluateGlobalOptions, IGNORED_OPTIONS_KEY } from './options.ts';
import { DEFAULT_DIRECTIVE_ORDER } from './order.ts';
import { pairSites, type SiteBlock } from './pairing.ts';
import { isRegisteredDirective } from './registry.ts';
import { applyServerOptions, type ServerOptions } from './server-options.ts';
import { serversFromPairings } from './servers.ts';
import { expandTokenShorthands } from './shorthands.ts';
import { pushAll } from '../util/push-all.ts';

export type { Warning };

export interface AdaptResult {
  config: CaddyConfigJSON;
  warnings: Warning[];
  /** Directives accepted but without effect at the edge (e.g. `tls`). */
  ignored: string[];
}

/** Caddyfile text → the JSON `caddy adapt` prints (Caddy's httpcaddyfile ServerType.Setup). */
export function adaptCaddyfile(text: string, opts: ParseOptions): AdaptResult {
  const result = adaptServerBlocks(parseCaddyfile(text, opts));
  const fmt = formattingDifference(opts.filename || 'Caddyfile', text);
  if (fmt) result.warnings.push(fmt);
  return result;
}

/** Caddy warns (after a successful adapt) when the input differs from `caddy fmt` output, naming the first such line. */
export function formattingDifference(filename: string, body: string): Warning | undefined {
  const normalized = body.replaceAll('\r\n', '\n');
  const formatted = formatCaddyfile(normalized);
  if (formatted === normalized) return undefined;
  let line = 1;
  for (let i = 0; i < normalized.length; i++) {
    if (i >= formatted.length || normalized[i] !== formatted[i]) break;
    if (normalized[i] === '\n') line++;
  }
  return {
    file: filename,
    line,
    message: "Caddyfile input is not formatted; run 'caddy fmt --overwrite' to fix inconsistencies",
  };
}

export function adaptServerBlocks(input: ServerBlock[]): AdaptResult {
  const ctx: AdaptContext = {
    options: new Map<string, unknown>([['order', [...DEFAULT_DIRECTIVE_ORDER]]]),
    warnings: [],
    state: new Map(),
    order: [],
    groupCounter: { n: 0 },
  };
  for (const b of input) {
    b.keys.forEach((k, j) => {
      if (j === 0 && k.text.startsWith('@')) {
        throw locatedError(k, `cannot define a matcher outside of a site block: '${k.text}'`);
      }
      if (!b.isNamedRoute && isRegisteredDirective(k.text)) {
        throw locatedError(
          k,
          `parsed '${k.text}' as a site address, but it is a known directive; directives must appear in a site block`,
        );
      }
    });
  }
  let blocks = input;
  if (blocks.length && blocks[0].keys.length === 0 && !blocks[0].isNamedRoute) {
    evaluateGlobalOptions(blocks[0], ctx.options, (message) => ctx.warnings.push({ message }));
    blocks = blocks.slice(1);
  }
  ctx.order = ctx.options.get('order') as string[];
  const ignored = new Set<string>((ctx.options.get(IGNORED_OPTIONS_KEY) as Set<string> | undefined) ?? []);

  const withShorthands = (b: ServerBlock): ServerBlock => ({ ...b, segments: b.segments.map(expandTokenShorthands) });
  const named = parseNamedRoutes(
    blocks.filter((b) => b.isNamedRoute).map(withShorthands),
    (b) => new HelperImpl(b.segments[0].slice(), ctx, {}, b),
  );

  const sites: SiteBlock[] = [];
  blocks
    .filter((b) => !b.isNamedRoute)
    .forEach((raw, index) => {
      const block = withShorthands(raw);
      if (block.keys.length === 0) {
        throw locatedError(
          block.segments[0]?.[0],
          'server block without any key is global configuration, and if used, it must be first',
        );
      }
      const { defs, directives } = defineMatchers(block.segments);
      const pile = new Map<string, ConfigValue[]>();
      const invoked: string[] = [];
      for (const seg of directives) {
        for (const v of runDirective(seg, ctx, defs, block)) {
          const list = pile.get(v.class) ?? [];
          list.push(v);
          pile.set(v.class, list);
        }
        pushAll(invoked, takeInvokedNames(ctx.state));
      }
      sites.push({ index, block, pile, invoked });
    });

  const pairings = pairSites(sites, ctx.options);
  let servers = serversFromPairings(pairings, {
    options: ctx.options,
    order: ctx.order,
    nextGroup: () => `group${ctx.groupCounter.n++}`,
    namedRoutes: named,
  });
  const serverOptions = ctx.options.get('servers') as ServerOptions[] | undefined;
  if (serverOptions) servers = applyServerOptions(servers, serverOptions);

  const config: CaddyConfigJSON = {};
  const admin = ctx.options.get('admin') as Record<string, unknown> | undefined;
  if (admin) config.admin = admin;
  if (ctx.options.get('persist_config') === 'off') {
    config.admin = { ...(config.admin ?? {}), config: { persist: false } };
  }
  const logging = buildLogging(ctx, sites);
  if (logging) config.logging = logging;
  if (Object.keys(servers).length) {
    const http: HttpAppJSON = {};
    const num = (k: string): void => {
      const v = ctx.options.get(k);
      if (typeof v === 'number' && v !== 0) http[k] = v;
    };
    num('http_port');
    num('https_port');
    num('grace_period');
    num('shutdown_delay');
    let metrics = ctx.options.get('metrics') as Record<string, unknown> | undefined;
    // the deprecated per-server `metrics` moves to the app, keeping only per_host (as Caddy rebuilds it)
    for (const s of Object.values(servers)) {
      const sm = s.metrics as Record<string, unknown> | undefined;
      if (!sm) continue;
      const perHost = Boolean(metrics?.per_host) || Boolean(sm.per_host);
      metrics = perHost ? { per_host: true } : {};
      delete s.metrics;
    }
    if (metrics) http.metrics = metrics;
    http.servers = servers;
    config.apps = { http };
  }
  const stateIgnored = ctx.state.get(IGNORED_STATE_KEY) as Set<string> | undefined;
  for (const n of stateIgnored ?? []) ignored.add(n);
  return { config, warnings: ctx.warnings, ignored: [...ignored].sort() };
}

/** The top-level `logging.logs` from the `log` option and directives (Caddy's custom log collection). */
function buildLogging(ctx: AdaptContext, sites: SiteBlock[]): Record<string, unknown> | undefined {
  const debug = ctx.options.has('debug');
  const all: NamedCustomLog[] = [];
  let hasDefault = false;
  const add = (ncl: NamedCustomLog): void => {
    if (ncl.name === '') return;
    if (ncl.name === 'default') hasDefault = true;
    if (debug && ncl.log && ncl.log.level === undefined) ncl.log = { ...ncl.log, level: 'DEBUG' };
    all.push(ncl);
  };
  for (const ncl of (ctx.options.get('log') as NamedCustomLog[] | undefined) ?? []) add(ncl);
  if (!hasDefault && debug) all.push({ name: 'default', hostnames: [], noHostname: false, log: { level: 'DEBUG' } });
  for (const s of sites) for (const v of s.pile.get('custom_log') ?? []) add(v.value as NamedCustomLog);
  if (!all.length) return undefined;
  const logs: Record<string, Record<string, unknown>> = {};
  const def = all.find((n) => n.name === 'default' && n.log);
  if (def?.log) logs.default = def.log;
  for (const ncl of all) {
    if (!ncl.log || ncl.name === 'default') continue;
    logs[ncl.name] = ncl.log;
    const include = ncl.log.include as string[] | undefined;
    if (include?.length) {
      const d = logs.default ?? {};
      logs.default = d;
      const ex = [...new Set([...((d.exclude as string[] | undefined) ?? []), ...include])].sort();
      d.exclude = ex;
    }
  }
  return Object.keys(logs).length ? { logs } : undefined;
}
