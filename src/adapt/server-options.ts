import type { Dispenser } from '../caddyfile/dispenser.ts';
import { locatedError, unsupportedError } from '../caddyfile/errors.ts';
import type { Token } from '../caddyfile/token.ts';
import type { ServerJSON } from '../config/caddy-json.ts';
import { parseBytes } from './directives/size.ts';
import { durationArg, nextArg } from './args.ts';

/**
 * The `servers [<listener>] { … }` global option (Caddy's serveroptions.go): per-server settings, applied to every
 * server whose listeners include the given address (or to all, without one). Most are socket tuning the Worker
 * ignores at run time, but they are kept in the JSON so configs round-trip like `caddy adapt`.
 */
export interface ServerOptions {
  listenerAddress: string;
  name: string;
  /** Fields copied onto the server JSON as-is. */
  fields: Record<string, unknown>;
  /** Fields for the server's `logs` object. */
  logs: Record<string, unknown>;
  /** The `servers` token, for locating errors found when the options are combined. */
  at?: Token;
}

/** Caddy's private_ranges shorthand for trusted proxies. */
export const PRIVATE_RANGES = ['192.168.0.0/16', '172.16.0.0/12', '10.0.0.0/8', '127.0.0.1/8', 'fd00::/8', '::1'];

const arg = nextArg;

function dur(d: Dispenser, what: string, s: string): number {
  return durationArg(d, s, (t) => `parsing ${what}: time: invalid duration ${JSON.stringify(t)}`);
}

function oneArg(d: Dispenser): string {
  if (!arg(d)) throw d.argErr();
  return d.val();
}

function noArg(d: Dispenser): void {
  if (arg(d)) throw d.argErr();
}

function size(d: Dispenser, what: string): number {
  const args = d.remainingArgs();
  if (args.length !== 1) throw d.argErr();
  try {
    return parseBytes(args[0]);
  } catch (e) {
    throw d.err(`parsing ${what}: ${(e as Error).message}`);
  }
}

/**
 * `trusted_proxies static <ranges…|private_ranges>`, or `trusted_proxies cloudflare` (fixed IP ranges are the only
 * source a Worker can evaluate: Cloudflare's are shipped with Gatehouse).
 */
function trustedProxies(d: Dispenser): Record<string, unknown> {
  if (!arg(d)) throw d.err('trusted_proxies expects an IP range source module name as its first argument');
  const source = d.val();
  if (source === 'cloudflare') return cloudflareProxies(d);
  if (source !== 'static')
    throw unsupportedError(
      d.token(),
      `trusted_proxies ${source}`,
      'a Worker can only evaluate fixed IP ranges, list them with trusted_proxies static (or use trusted_proxies cloudflare)',
    );
  const ranges: string[] = [];
  const add = (v: string): void => {
    if (v === 'private_ranges') ranges.push(...PRIVATE_RANGES);
    else ranges.push(v);
  };
  while (arg(d)) add(d.val());
  for (const n = d.nesting(); d.nextBlock(n); ) {
    if (d.val() !== 'ranges') throw d.err(`unrecognized subdirective ${d.val()}`);
    while (arg(d)) add(d.val());
  }
  const out: Record<string, unknown> = { source: 'static' };
  if (ranges.length) out.ranges = ranges;
  return out;
}

/**
 * `trusted_proxies cloudflare { interval <d>; timeout <d> }` as the caddy-cloudflare-ip plugin writes it. The
 * ranges ship with Gatehouse (src/http/cloudflare-ranges.ts), so interval and timeout are kept but fetch nothing.
 */
function cloudflareProxies(d: Dispenser): Record<string, unknown> {
  noArg(d);
  const out: Record<string, unknown> = { source: 'cloudflare' };
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const sub = d.val();
    if (sub !== 'interval' && sub !== 'timeout') throw d.err(`unrecognized subdirective ${sub}`);
    out[sub] = dur(d, sub, oneArg(d));
    noArg(d);
  }
  return out;
}

function timeouts(d: Dispenser, f: Record<string, unknown>): void {
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const opt = d.val();
    switch (opt) {
      case 'read_body':
        f.read_timeout = dur(d, 'read_body timeout duration', oneArg(d));
        break;
      case 'read_header':
        f.read_header_timeout = dur(d, 'read_header timeout duration', oneArg(d));
        break;
      case 'write':
        f.write_timeout = dur(d, 'write timeout duration', oneArg(d));
        break;
      case 'idle':
        f.idle_timeout = dur(d, 'idle timeout duration', oneArg(d));
        break;
      case 'read_body_idle':
      case 'write_idle': {
        const args = d.remainingArgs();
        if (args.length < 1 || args.length > 2) throw d.argErr();
        const prefix = opt === 'read_body_idle' ? 'read' : 'write';
        f[`${prefix}_idle_timeout`] = dur(d, `${opt} timeout duration`, args[0]);
        if (args.length === 2) {
          if (!/^[+-]?\d+$/.test(args[1])) throw d.err(`parsing ${opt} min_rate bytes/second: invalid syntax`);
          f[`${prefix}_min_rate`] = Number(args[1]);
        }
        break;
      }
      case 'write_max_chunk':
        f.max_write_chunk = size(d, 'write_max_chunk');
        break;
      default:
        throw d.err(`unrecognized timeouts option '${opt}'`);
    }
  }
}

/** Parses one `servers` option line (cursor before the option name). */
export function parseServerOptions(d: Dispenser): ServerOptions {
  d.next();
  const o: ServerOptions = { listenerAddress: '', name: '', fields: {}, logs: {}, at: d.token() };
  const f = o.fields;
  if (arg(d)) {
    o.listenerAddress = d.val();
    if (arg(d)) throw d.argErr();
  }
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const opt = d.val();
    switch (opt) {
      case 'name':
        if (!o.listenerAddress) throw d.err('cannot set a name for a server without a listener address');
        o.name = oneArg(d);
        break;
      case 'listener_wrappers': {
        const wrappers: Record<string, unknown>[] = [];
        for (const m = d.nesting(); d.nextBlock(m); ) {
          const w = d.val();
          if (w !== 'http_redirect' && w !== 'tls') {
            throw unsupportedError(
              d.token(),
              `listener wrapper ${w}`,
              'a Worker does not own its listeners, remove the wrapper',
            );
          }
          if (arg(d)) throw d.argErr();
          wrappers.push({ wrapper: w });
        }
        f.listener_wrappers = wrappers;
        break;
      }
      case 'timeouts':
        timeouts(d, f);
        break;
      case 'keepalive_interval':
        f.keepalive_interval = dur(d, 'keepalive interval duration', oneArg(d));
        break;
      case 'keepalive_idle':
        f.keepalive_idle = dur(d, 'keepalive idle duration', oneArg(d));
        break;
      case 'keepalive_count': {
        const v = oneArg(d);
        if (!/^[+-]?\d+$/.test(v))
          throw d.err(`parsing keepalive count int: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
        f.keepalive_count = Number(v);
        break;
      }
      case 'max_header_size':
        f.max_header_bytes = size(d, 'max_header_size');
        break;
      case 'enable_full_duplex':
        noArg(d);
        f.enable_full_duplex = true;
        break;
      case 'expected_underscore_headers':
      case 'expected_dot_headers': {
        const args = d.remainingArgs();
        if (!args.length) throw d.argErr();
        f[opt] = args;
        break;
      }
      case 'log_credentials':
        noArg(d);
        o.logs.should_log_credentials = true;
        break;
      case 'trace':
        noArg(d);
        o.logs.trace = true;
        break;
      case 'protocols': {
        const protos: string[] = [];
        for (const p of d.remainingArgs()) {
          if (!['h1', 'h2', 'h2c', 'h3'].includes(p))
            throw d.err(`unknown protocol '${p}': expected h1, h2, h2c, or h3`);
          if (protos.includes(p)) throw d.err(`protocol ${p} specified more than once`);
          protos.push(p);
        }
        if (d.nextBlock(d.nesting())) throw d.argErr();
        f.protocols = protos;
        break;
      }
      case 'strict_sni_host': {
        const has = arg(d);
        if (has && d.val() !== 'insecure_off' && d.val() !== 'on') {
          throw d.err(`strict_sni_host only supports 'on' or 'insecure_off', got '${d.val()}'`);
        }
        f.strict_sni_host = !(has && d.val() === 'insecure_off');
        break;
      }
      case 'trusted_proxies':
        f.trusted_proxies = trustedProxies(d);
        break;
      case 'trusted_proxies_strict':
        noArg(d);
        f.trusted_proxies_strict = 1;
        break;
      case 'trusted_proxies_unix':
        noArg(d);
        f.trusted_proxies_unix = true;
        break;
      case 'client_ip_headers': {
        const headers = (f.client_ip_headers as string[] | undefined) ?? [];
        for (const h of d.remainingArgs()) {
          if (headers.includes(h)) throw d.err(`client IP header ${h} specified more than once`);
          headers.push(h);
        }
        if (d.nextBlock(d.nesting())) throw d.argErr();
        f.client_ip_headers = headers;
        break;
      }
      case 'metrics': {
        const m: Record<string, unknown> = {};
        for (const k = d.nesting(); d.nextBlock(k); ) {
          if (d.val() !== 'per_host') throw d.err(`unrecognized metrics option '${d.val()}'`);
          m.per_host = true;
        }
        f.metrics = m;
        break;
      }
      case '0rtt':
        if (oneArg(d) !== 'off') throw d.err(`unsupported 0rtt argument '${d.val()}' (only 'off' is supported)`);
        f.allow_0rtt = false;
        break;
      default:
        throw d.err(`unrecognized servers option '${opt}'`);
    }
  }
  return o;
}

/** Sorts (longest listener first, as Caddy does) and rejects duplicate listener addresses. */
export function checkServerOptions(list: ServerOptions[]): ServerOptions[] {
  const sorted = list
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.listenerAddress.length - a.o.listenerAddress.length || a.i - b.i)
    .map((x) => x.o);
  const seen = new Set<string>();
  for (const o of sorted) {
    if (seen.has(o.listenerAddress)) {
      throw locatedError(
        o.at,
        `cannot have 'servers' global options with duplicate listener addresses: ${o.listenerAddress}`,
      );
    }
    seen.add(o.listenerAddress);
  }
  return sorted;
}

/** Applies the options to matching servers and renames named ones (Caddy's applyServerOptions). */
export function applyServerOptions(
  servers: Record<string, ServerJSON>,
  list: ServerOptions[],
): Record<string, ServerJSON> {
  const names = new Set<string>();
  for (const o of list) {
    if (!o.name) continue;
    if (names.has(o.name)) {
      throw locatedError(o.at, `applying global server options: cannot use duplicate server name '${o.name}'`);
    }
    names.add(o.name);
  }
  const out: Record<string, ServerJSON> = {};
  for (const [key, srv] of Object.entries(servers)) {
    const o = list.find((x) => x.listenerAddress === '' || (srv.listen ?? []).includes(x.listenerAddress));
    if (!o) {
      out[key] = srv;
      continue;
    }
    Object.assign(srv, structuredClone(o.fields));
    if (Object.keys(o.logs).length) srv.logs = { ...(srv.logs ?? {}), ...o.logs };
    out[o.name || key] = srv;
  }
  return out;
}
