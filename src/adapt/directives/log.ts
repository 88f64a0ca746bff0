import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { unsupportedError } from '../../caddyfile/errors.ts';
import { parseDurationNs } from '../../util/duration.ts';
import type { ConfigValue, Helper } from '../helper.ts';
import { registerDirective } from '../registry.ts';
import { parseLogEncoder } from './log-encoders.ts';
import { parseBytes } from './size.ts';
import { atoi, nextArg } from './util.ts';
import { pushAll } from '../../util/push-all.ts';
import { durationArg } from '../args.ts';

/**
 * `log [<name>] { output …; format …; level …; sampling {…}; hostnames …; no_hostname }`: access
 * log configuration, not a handler. It yields a `custom_log` value; the adapter puts the logger under the top-level
 * `logging.logs` and names it in the server's `logs` (as Caddy's httpcaddyfile does).
 */

/** Helper.state key counting unnamed site loggers. */
export const LOG_COUNTER_STATE_KEY = 'logCounter';

/** The `custom_log` ConfigValue's value (Caddy's namedCustomLog). */
export interface NamedCustomLog {
  /** Logger name: the given one, else `log0`, `log1`… (empty for a bare `log` with no options). */
  name: string;
  /** Hosts to log for instead of the site's addresses (`hostnames`). */
  hostnames: string[];
  noHostname: boolean;
  /** Caddy's CustomLog JSON (writer, encoder, level, sampling, include, exclude); absent when nothing was set. */
  log?: Record<string, unknown>;
}

/** Go's strconv.ParseUint(s, 8, 32) for file modes; printed back as 4 octal digits (Caddy's fileMode JSON). */
function fileMode(d: Dispenser, what: string, s: string): string {
  if (!/^[0-7]+$/.test(s) || parseInt(s, 8) > 0xffffffff) {
    throw d.err(`parsing ${what}: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  return parseInt(s, 8).toString(8).padStart(4, '0');
}

function oneArg(d: Dispenser): string {
  const a = d.remainingArgs();
  if (a.length !== 1) throw d.argErr();
  return a[0];
}

function noArgs(d: Dispenser): void {
  if (nextArg(d)) throw d.argErr();
}

function duration(d: Dispenser, s: string, what: string): number {
  return durationArg(d, s, (t) => `${what}: time: invalid duration ${JSON.stringify(t)}`);
}

/** Comma/space separated list items (`roll_at 00:00 06:00 12:00,18:00`). */
function listItems(d: Dispenser, what: string): string[] {
  const args = d.remainingArgs();
  if (args.length === 0) throw d.argErr();
  const out: string[] = [];
  for (const arg of args) {
    for (const p of arg.split(',')) {
      const t = p.trim();
      if (t === '') throw d.err(`parsing ${what}: empty value`);
      out.push(t);
    }
  }
  return out;
}

/** `output file <path> { mode, dir_mode, roll_* … }` (Caddy's FileWriter). */
function parseFileWriter(d: Dispenser): Record<string, unknown> {
  d.next(); // writer name
  if (!nextArg(d)) throw d.argErr();
  const w: Record<string, unknown> = { output: 'file', filename: d.val() };
  noArgs(d);
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'mode':
        w.mode = fileMode(d, 'mode', oneArg(d));
        break;
      case 'dir_mode': {
        const v = oneArg(d).trim();
        if (!['inherit', 'from_file'].includes(v.toLowerCase())) fileMode(d, 'dir_mode', v);
        w.dir_mode = v;
        break;
      }
      case 'roll_disabled':
        w.roll = false;
        noArgs(d);
        break;
      case 'roll_size': {
        const s = oneArg(d);
        let bytes: number;
        try {
          bytes = parseBytes(s);
        } catch (e) {
          throw d.err(`parsing size: ${(e as Error).message}`);
        }
        const mb = Math.ceil(bytes / (1024 * 1024));
        if (mb) w.roll_size_mb = mb;
        break;
      }
      case 'roll_uncompressed':
        w.roll_gzip = false;
        noArgs(d);
        break;
      case 'roll_compression': {
        const c = oneArg(d).trim().toLowerCase();
        if (!['none', 'gzip', 'zstd'].includes(c)) {
          throw d.err("parsing roll_compression: must be 'none', 'gzip' or 'zstd'");
        }
        w.roll_compression = c;
        break;
      }
      case 'roll_local_time':
        w.roll_local_time = true;
        noArgs(d);
        break;
      case 'roll_keep': {
        const s = oneArg(d);
        const k = atoi(s);
        if (k === undefined)
          throw d.err(`parsing roll_keep number: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
        if (k) w.roll_keep = k;
        break;
      }
      case 'roll_keep_for': {
        const ns = duration(d, oneArg(d), 'parsing roll_keep_for duration');
        if (ns < 0) throw d.err('negative roll_keep_for duration');
        const days = Math.ceil(ns / 3600e9 / 24);
        if (days) w.roll_keep_days = days;
        break;
      }
      case 'roll_interval': {
        const ns = duration(d, oneArg(d), 'parsing roll_interval duration');
        if (ns) w.roll_interval = ns;
        break;
      }
      case 'roll_minutes':
        w.roll_minutes = listItems(d, 'roll_minutes').map((m) => {
          const v = atoi(m);
          if (v === undefined)
            throw d.err(`parsing roll_minutes number: strconv.Atoi: parsing ${JSON.stringify(m)}: invalid syntax`);
          return v;
        });
        break;
      case 'roll_at':
        w.roll_at = listItems(d, 'roll_at');
        break;
      case 'backup_time_format':
        w.backup_time_format = oneArg(d);
        break;
      default:
        throw d.err(`unrecognized subdirective '${d.val()}'`);
    }
  }
  return w;
}

/** `output net <address> { dial_timeout <d>; soft_start }` (Caddy's NetWriter). */
function parseNetWriter(d: Dispenser): Record<string, unknown> {
  d.next(); // writer name
  if (!nextArg(d)) throw d.argErr();
  const w: Record<string, unknown> = { output: 'net', address: d.val() };
  noArgs(d);
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'dial_timeout': {
        if (!nextArg(d)) throw d.argErr();
        const ns = parseDurationNs(d.val());
        if (ns === undefined) throw d.err(`invalid duration: ${d.val()}`);
        noArgs(d);
        if (ns) w.dial_timeout = ns;
        break;
      }
      case 'soft_start':
        noArgs(d);
        w.soft_start = true;
        break;
      default:
        throw d.err(`unrecognized subdirective '${d.val()}'`);
    }
  }
  return w;
}

function parseSampling(d: Dispenser): Record<string, unknown> {
  while (nextArg(d)) {
    // Caddy skips arguments on the sampling line
  }
  const s: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const n = d.nesting(); d.nextBlock(n); ) {
    const sub = d.val();
    if (seen.has(sub)) throw d.err(`'${sub}' specified more than once in the same sampling block`);
    seen.add(sub);
    if (!['interval', 'first', 'thereafter'].includes(sub)) throw d.err(`unrecognized subdirective: ${sub}`);
    if (!nextArg(d)) throw d.argErr();
    const v = d.val();
    if (sub === 'interval') {
      const ns = parseDurationNs(v);
      if (ns === undefined) throw d.err(`failed to parse interval: time: invalid duration ${JSON.stringify(v)}`);
      if (ns) s.interval = ns;
    } else {
      const k = atoi(v);
      if (k === undefined)
        throw d.err(`failed to parse ${sub}: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
      if (k) s[sub] = k;
    }
  }
  return s;
}

/**
 * Parses one `log` directive or, with `globalLogNames`, the `log` global option (then the name defaults to
 * `default`, hostnames is refused and include/exclude are allowed). Cursor before the directive name. `state`
 * is the adapt run's shared state, where unnamed site loggers are counted (`log0`, `log1` …).
 */
export function parseLogBlock(h: Dispenser, state: Map<string, unknown>, globalLogNames?: Set<string>): NamedCustomLog {
  h.next(); // directive name
  const global = globalLogNames !== undefined;
  let logName = '';
  if (nextArg(h)) {
    logName = h.val();
    if (nextArg(h)) throw h.argErr();
  } else if (global) {
    logName = 'default';
  }
  if (globalLogNames) {
    if (globalLogNames.has(logName)) throw h.err(`duplicate global log option for: ${logName}`);
    globalLogNames.add(logName);
  }

  const cl: Record<string, unknown> = {};
  const hostnames: string[] = [];
  let noHostname = false;
  const seen = new Set<string>();
  const unique = (sub: string): void => {
    if (seen.has(sub)) throw h.err(`'${sub}' subdirective specified more than once in the same log block`);
    seen.add(sub);
  };

  for (const n = h.nesting(); h.nextBlock(n); ) {
    const sub = h.val();
    switch (sub) {
      case 'hostnames': {
        if (global) throw h.err('hostnames is not allowed in the log global options');
        const args = h.remainingArgs();
        if (args.length === 0) throw h.argErr();
        pushAll(hostnames, args);
        break;
      }
      case 'output': {
        unique(sub);
        if (!nextArg(h)) throw h.argErr();
        const mod = h.val();
        if (mod === 'stdout' || mod === 'stderr' || mod === 'discard') {
          cl.writer = { output: mod };
          noArgs(h);
        } else if (mod === 'file') cl.writer = parseFileWriter(h.newFromNextSegment());
        else if (mod === 'net') cl.writer = parseNetWriter(h.newFromNextSegment());
        else {
          throw h.err(
            `getting module named 'caddy.logging.writers.${mod}': module not registered: caddy.logging.writers.${mod}`,
          );
        }
        break;
      }
      case 'format': {
        unique(sub);
        if (!nextArg(h)) throw h.argErr();
        const mod = h.val();
        cl.encoder = parseLogEncoder(h.newFromNextSegment(), mod);
        break;
      }
      case 'sampling':
        unique(sub);
        cl.sampling = parseSampling(h.newFromNextSegment());
        break;
      case 'core':
        throw unsupportedError(h.token(), 'log core', 'custom log cores are Go plugins, use output and format instead');
      case 'level':
        unique(sub);
        if (!nextArg(h)) throw h.argErr();
        cl.level = h.val();
        noArgs(h);
        break;
      case 'include':
      case 'exclude': {
        if (!global) throw h.err(`${sub} is not allowed in the log directive`);
        const list = (cl[sub] as string[] | undefined) ?? [];
        while (nextArg(h)) list.push(h.val());
        if (list.length) cl[sub] = list;
        break;
      }
      case 'no_hostname':
        unique(sub);
        noArgs(h);
        noHostname = true;
        break;
      default:
        throw h.err(`unrecognized subdirective: ${sub}`);
    }
  }

  const empty = Object.keys(cl).length === 0;
  const val: NamedCustomLog = { name: '', hostnames, noHostname };
  if (global) {
    val.name = logName;
  } else {
    if (logName) {
      val.name = logName;
    } else if (!empty) {
      const counter = (state.get(LOG_COUNTER_STATE_KEY) as number | undefined) ?? 0;
      val.name = `log${counter}`;
      state.set(LOG_COUNTER_STATE_KEY, counter + 1);
    }
    if (val.name) cl.include = [`http.log.access.${val.name}`];
  }
  if (!empty) val.log = cl;
  return val;
}

registerDirective('log', (h: Helper): ConfigValue[] => [{ class: 'custom_log', value: parseLogBlock(h, h.state) }]);
