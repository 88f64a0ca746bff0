import { Dispenser } from '../caddyfile/dispenser.ts';
import { CaddyfileError, locatedError, unsupportedError, withLocation } from '../caddyfile/errors.ts';
import type { ServerBlock } from '../caddyfile/serverblock.ts';
import { parseLogBlock, type NamedCustomLog } from './directives/log.ts';
import { parseOrderOption } from './order.ts';
import { globalOptionParser } from './registry.ts';
import { checkServerOptions, parseServerOptions, type ServerOptions } from './server-options.ts';
import { durationArg, nextArg } from './args.ts';

/**
 * The global options block: the first block, when it has no keys. Each option line is parsed into
 * `options` by name; unknown names are Caddy's "unrecognized global option" error.
 */

const arg = nextArg;

function single(d: Dispenser): string {
  d.next();
  if (!arg(d)) throw d.argErr();
  const v = d.val();
  if (arg(d)) throw d.argErr();
  return v;
}

function port(d: Dispenser): number {
  const s = single(d);
  if (!/^[+-]?\d+$/.test(s)) {
    throw d.err(`converting port '${s}' to integer value: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  return Number(s);
}

function duration(d: Dispenser): number {
  return durationArg(d, single(d), (s) => `parsing duration: time: invalid duration ${JSON.stringify(s)}`);
}

function flag(d: Dispenser): boolean {
  d.next();
  if (arg(d)) throw d.argErr();
  return true;
}

function autoHTTPS(d: Dispenser): string[] {
  d.next();
  const vals = d.remainingArgs();
  if (!vals.length) throw d.argErr();
  for (const v of vals) {
    if (!['off', 'disable_redirects', 'disable_certs', 'ignore_loaded_certs'].includes(v)) {
      throw d.err("auto_https must be one of 'off', 'disable_redirects', 'disable_certs', or 'ignore_loaded_certs'");
    }
  }
  return vals;
}

/** `admin off | <addr> { origins … enforce_origin }` → the config's admin object. */
function admin(d: Dispenser): Record<string, unknown> {
  d.next();
  const out: Record<string, unknown> = {};
  if (arg(d)) {
    const a = d.val();
    if (a === 'off') out.disabled = true;
    else out.listen = a;
    if (arg(d)) throw d.argErr();
  }
  // Caddy fills in its default admin address when the option is given without one
  if (out.disabled === undefined && out.listen === undefined) out.listen = 'localhost:2019';
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'enforce_origin':
        out.enforce_origin = true;
        break;
      case 'origins':
        out.origins = d.remainingArgs();
        break;
      default:
        throw d.err(`unrecognized parameter '${d.val()}'`);
    }
  }
  return out;
}

function metrics(d: Dispenser): Record<string, unknown> {
  d.next();
  const out: Record<string, unknown> = {};
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'per_host':
        out.per_host = true;
        break;
      case 'observe_catchall_hosts':
        out.observe_catchall_hosts = true;
        break;
      case 'otlp':
        out.otlp = true;
        break;
      default:
        throw d.err(`unrecognized servers option '${d.val()}'`);
    }
  }
  return out;
}

function persistConfig(d: Dispenser): string {
  const v = single(d);
  if (v !== 'off') throw d.err("persist_config must be 'off'");
  return v;
}

type OptionFn = (d: Dispenser, existing: unknown, options: Map<string, unknown>) => unknown;

/** `default_bind [<hosts…>] { protocols … }`: listener hosts for sites without their own `bind`. */
function defaultBind(d: Dispenser, existing: unknown): { addresses: string[]; protocols: string[] }[] {
  d.next();
  const addresses = d.remainingArgs();
  if (!addresses.length) addresses.push('');
  let protocols: string[] = [];
  for (const n = d.nesting(); d.nextBlock(n); ) {
    if (d.val() !== 'protocols') throw d.err(`unknown subdirective: ${d.val()}`);
    protocols = d.remainingArgs();
    if (!protocols.length) throw d.err('protocols requires one or more arguments');
  }
  const list = (existing as { addresses: string[]; protocols: string[] }[] | undefined) ?? [];
  return [...list, { addresses, protocols }];
}

/** Options with a Gatehouse meaning (or a no-op one that `caddy adapt` also leaves out of the JSON). */
const builtin: Record<string, OptionFn> = {
  debug: flag,
  http_port: port,
  https_port: port,
  grace_period: duration,
  shutdown_delay: duration,
  default_sni: single,
  fallback_sni: single,
  order: (d, _e, o) => {
    const order = parseOrderOption(d, o.get('order') as string[]);
    return order;
  },
  auto_https: autoHTTPS,
  default_bind: defaultBind,
  servers: (d, existing) => [...((existing as ServerOptions[] | undefined) ?? []), parseServerOptions(d)],
  admin,
  metrics,
  persist_config: persistConfig,
  log: (d, existing, o) => {
    let names = o.get('__global_log_names') as Set<string> | undefined;
    if (!names) {
      names = new Set<string>();
      o.set('__global_log_names', names);
    }
    const list = (existing as NamedCustomLog[] | undefined) ?? [];
    return [...list, parseLogBlock(d, new Map(), names)];
  },
};

/**
 * Options that only configure certificate management (Cloudflare terminates TLS for a Worker): accepted so existing
 * Caddyfiles load, reported in the adapt result's `ignored` list, and left out of the JSON.
 */
const TLS_ONLY_OPTIONS = new Set([
  'email',
  'storage',
  'storage_check',
  'storage_clean_interval',
  'renew_interval',
  'ocsp_interval',
  'acme_ca',
  'acme_ca_root',
  'acme_dns',
  'acme_eab',
  'cert_issuer',
  'skip_install_trust',
  'on_demand_tls',
  'local_certs',
  'key_type',
  'ocsp_stapling',
  'cert_lifetime',
  'preferred_chains',
  'dns',
  'tls_resolvers',
  'ech',
  'renewal_window_ratio',
  'pki',
]);

/** Options Caddy knows for parts Gatehouse does not have at all. */
/** Global options Caddy knows that cannot work in a Worker, with why and what to do instead. */
const unsupportedOptions = new Map([
  ['events', 'a Worker has no event bus to subscribe to, remove the option'],
  ['filesystem', 'a Worker has no file system to register, remove the option'],
]);

/** Key in the options map under which the names of ignored (TLS-only) options are collected. */
export const IGNORED_OPTIONS_KEY = '__ignored_options';

/**
 * Parses the global options block into `options` (which holds the default `order` on entry). `warn` records an
 * adapter warning.
 */
export function evaluateGlobalOptions(
  block: ServerBlock,
  options: Map<string, unknown>,
  warn: (m: string) => void,
): void {
  for (const seg of block.segments) {
    const tok = seg[0];
    const name = tok.text;
    const d = new Dispenser(seg.slice());
    if (TLS_ONLY_OPTIONS.has(name)) {
      const ignored = (options.get(IGNORED_OPTIONS_KEY) as Set<string> | undefined) ?? new Set<string>();
      ignored.add(name);
      options.set(IGNORED_OPTIONS_KEY, ignored);
      continue;
    }
    const fn = Object.hasOwn(builtin, name) ? builtin[name] : undefined;
    const external = fn ? undefined : globalOptionParser(name);
    if (!fn && !external) {
      const why = unsupportedOptions.get(name);
      if (why) throw unsupportedError(tok, `global option ${name}`, why);
      throw locatedError(tok, `unrecognized global option: ${name}`);
    }
    try {
      const val = fn ? fn(d, options.get(name), options) : external?.(d, options.get(name), warn);
      options.set(name, val);
    } catch (e) {
      if (e instanceof CaddyfileError && e.unsupported) throw e;
      const inner = e instanceof Error ? e.message : String(e);
      throw withLocation(
        e,
        tok,
        `parsing caddyfile tokens for '${name}': ${inner}`,
        e instanceof CaddyfileError ? e.unsupported : undefined,
      );
    }
  }
  const servers = options.get('servers') as ServerOptions[] | undefined;
  if (servers) options.set('servers', checkServerOptions(servers));
}
