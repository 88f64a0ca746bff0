import { ConfigError } from '../config/errors.ts';
import { goDuration } from '../proxy/go-duration.ts';
import { type LogEntry, LogDuration } from './entry.ts';
import { compileFieldFilter, type FieldFilter } from './field-filter.ts';
import './filters/index.ts';
import { goFloat, goJson } from './go-json.ts';

// Caddy's log encoders (caddy.logging.encoders.*) as they exist in 2.6.2: `json`, `console` and `filter`, with the
// shared LogEncoderConfig keys. An encoder turns one entry into one line (without its line ending).

export type LogEncoder = (entry: LogEntry) => string;

interface KeyNames {
  message: string;
  level: string;
  time: string;
  name: string;
}

/** zap's CapitalColorLevelEncoder colours. */
const LEVEL_COLORS: Record<string, number> = { debug: 35, info: 34, warn: 33, error: 31 };

const TIME_LAYOUTS = new Set([
  '',
  'unix_seconds_float',
  'unix_milli_float',
  'unix_nano',
  'iso8601',
  'rfc3339',
  'rfc3339_nano',
  'wall',
  'wall_milli',
  'wall_nano',
  'common_log',
]);

/** Compiles an `encoder` object; absent, Caddy's default for a non-terminal writer: json. */
export function compileEncoder(json: unknown, path: string): LogEncoder {
  if (json === undefined) return jsonEncoder(encoderOptions({}, path));
  if (!isObject(json)) throw new ConfigError('encoder must be an object', path);
  switch (json.format) {
    case undefined:
    case 'json':
      return jsonEncoder(encoderOptions(json, path));
    case 'console':
      // Caddy's console encoder defaults: wall-clock milliseconds and coloured capital levels.
      return consoleEncoder(encoderOptions({ time_format: 'wall_milli', level_format: 'color', ...json }, path));
    case 'filter':
      return filterEncoder(json, path);
    case 'append':
      return appendEncoder(json, path);
    default:
      throw new ConfigError(
        `log encoder format ${JSON.stringify(json.format)} is not supported (json, console, filter, append)`,
        path,
      );
  }
}

interface EncoderOptions {
  keys: KeyNames;
  /** Durations in seconds (LogDuration.toJSON) and no BigInt time: JSON.stringify can write the entry. */
  nativeJson: boolean;
  time: (ms: number) => unknown;
  duration: (d: LogDuration) => unknown;
  level: (level: string) => string;
}

function encoderOptions(json: Record<string, unknown>, path: string): EncoderOptions {
  const key = (name: string, fallback: string): string => {
    const v = json[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'string') throw new ConfigError(`${name} must be a string`, path);
    return v;
  };
  const timeFormat = key('time_format', '');
  if (!TIME_LAYOUTS.has(timeFormat))
    throw new ConfigError(`time_format ${JSON.stringify(timeFormat)}: custom Go time layouts are not supported`, path);
  const durationFormat = key('duration_format', '');
  if (!['', 'seconds', 'nano', 'string'].includes(durationFormat))
    throw new ConfigError(`unknown duration_format ${JSON.stringify(durationFormat)}`, path);
  const levelFormat = key('level_format', '');
  if (!['', 'lower', 'upper', 'color'].includes(levelFormat))
    throw new ConfigError(`unknown level_format ${JSON.stringify(levelFormat)}`, path);
  if (json.time_local === true)
    throw new ConfigError('time_local is not supported: a Worker has no local time zone', path);
  return {
    keys: {
      message: key('message_key', 'msg'),
      level: key('level_key', 'level'),
      time: key('time_key', 'ts'),
      name: key('name_key', 'logger'),
    },
    nativeJson: (durationFormat === '' || durationFormat === 'seconds') && timeFormat !== 'unix_nano',
    time: timeEncoder(timeFormat),
    duration:
      durationFormat === 'nano'
        ? (d) => Math.round(d.ms * 1e6)
        : durationFormat === 'string'
          ? (d) => goDuration(d.ms)
          : (d) => d.ms / 1000,
    level:
      levelFormat === 'upper'
        ? (l) => l.toUpperCase()
        : levelFormat === 'color'
          ? (l) => `\u001b[${LEVEL_COLORS[l]}m${l.toUpperCase()}\u001b[0m`
          : (l) => l,
  };
}

function timeEncoder(format: string): (ms: number) => unknown {
  switch (format) {
    case '':
    case 'unix_seconds_float':
      return (ms) => ms / 1000;
    case 'unix_milli_float':
      return (ms) => ms;
    case 'unix_nano':
      return (ms) => BigInt(Math.round(ms)) * 1_000_000n;
    case 'iso8601':
      return (ms) => new Date(ms).toISOString();
    case 'rfc3339':
      return (ms) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    case 'rfc3339_nano':
      return (ms) => new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
    case 'common_log':
      return (ms) => commonLog(new Date(ms));
    default: {
      const digits = format === 'wall' ? 0 : format === 'wall_milli' ? 3 : 9;
      return (ms) => {
        const iso = new Date(ms).toISOString();
        const frac = digits === 0 ? '' : `.${(`${iso.slice(20, 23)}000000`).slice(0, digits)}`;
        return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 19)}${frac}`;
      };
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function commonLog(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Durations (and nested objects holding them) as the encoder writes them. */
function withDurations(value: unknown, o: EncoderOptions): unknown {
  if (value instanceof LogDuration) return o.duration(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const w = withDurations(v, o);
    if (w !== v) out ??= { ...(value as Record<string, unknown>) };
    if (out) out[k] = w;
  }
  return out ?? value;
}

/** zap's JSON encoder: level, time, logger and message first (an empty key leaves that one out), then the fields. */
function jsonEncoder(o: EncoderOptions): LogEncoder {
  const slow = slowJsonEncoder(o);
  if (!o.nativeJson) return slow;
  // The native JSON.stringify writes an entry several times faster than goJson; it differs only where a number
  // takes an exponent (below 1e-6 or from 1e21), and then the entry is written again the slow way.
  const { level, time, name, message } = o.keys;
  return (entry) => {
    const head: Record<string, unknown> = {};
    if (level) head[level] = o.level(entry.level);
    if (time) head[time] = o.time(entry.time);
    if (name && entry.logger) head[name] = entry.logger;
    if (message) head[message] = entry.msg;
    const prefix = JSON.stringify(head);
    const body = JSON.stringify(entry.fields);
    const line = body === '{}' ? prefix : prefix === '{}' ? body : `${prefix.slice(0, -1)},${body.slice(1)}`;
    return HAS_EXPONENT.test(line) ? slow(entry) : line;
  };
}

const HAS_EXPONENT = /\de[-+]\d/;

function slowJsonEncoder(o: EncoderOptions): LogEncoder {
  return (entry) => {
    const head: Record<string, unknown> = {};
    if (o.keys.level) head[o.keys.level] = o.level(entry.level);
    if (o.keys.time) head[o.keys.time] = o.time(entry.time);
    if (o.keys.name && entry.logger) head[o.keys.name] = entry.logger;
    if (o.keys.message) head[o.keys.message] = entry.msg;
    const body = goJson(withDurations(entry.fields, o));
    const prefix = goJson(head);
    if (body === '{}') return prefix;
    return prefix === '{}' ? body : `${prefix.slice(0, -1)},${body.slice(1)}`;
  };
}

/** zap's console encoder: tab-separated time, LEVEL, logger and message, then the fields as one JSON object. */
function consoleEncoder(o: EncoderOptions): LogEncoder {
  return (entry) => {
    const parts: string[] = [];
    if (o.keys.time) {
      const t = o.time(entry.time);
      parts.push(typeof t === 'number' ? goFloat(t) : String(t));
    }
    if (o.keys.level) parts.push(o.level(entry.level));
    if (o.keys.name && entry.logger) parts.push(entry.logger);
    if (o.keys.message) parts.push(entry.msg);
    const body = goJson(withDurations(entry.fields, o), true);
    if (body !== '{}') parts.push(body);
    return parts.join('\t');
  };
}

/**
 * Caddy's `filter` encoder: each `fields` key is a path through the entry's objects (`request>headers>Cookie`);
 * the field there goes through its filter before the wrapped encoder (json by default) writes the entry.
 */
function filterEncoder(json: Record<string, unknown>, path: string): LogEncoder {
  if (json.wrap === undefined) throw new ConfigError('missing "wrap" (must specify an underlying encoder)', path);
  const wrapped = compileEncoder(json.wrap, `${path}.wrap`);
  if (json.wrap !== undefined && isObject(json.wrap) && json.wrap.format === 'filter')
    throw new ConfigError('a filter encoder cannot wrap another filter encoder', path);
  const fields = json.fields ?? {};
  if (!isObject(fields)) throw new ConfigError('fields must be an object', path);
  const filters: Array<{ path: string[]; filter: FieldFilter }> = [];
  for (const [fieldPath, spec] of Object.entries(fields)) {
    if (!isObject(spec)) throw new ConfigError('a field filter must be an object', `${path}.fields.${fieldPath}`);
    try {
      filters.push({ path: fieldPath.split('>'), filter: compileFieldFilter(spec, fieldPath) });
    } catch (e) {
      throw new ConfigError((e as Error).message, `${path}.fields.${fieldPath}`);
    }
  }
  return (entry) => {
    let out = entry.fields;
    for (const f of filters) out = applyFilter(out, f.path, 0, f.filter);
    return wrapped(out === entry.fields ? entry : { ...entry, fields: out });
  };
}

/**
 * Caddy 2.8's `append` encoder: the configured fields follow each entry's own. Caddy evaluates a whole-placeholder
 * value with its process-wide replacer ({env.*}, {system.*}); a Worker has no process, so such values are refused.
 */
function appendEncoder(json: Record<string, unknown>, path: string): LogEncoder {
  const wrapped = compileEncoder(json.wrap, `${path}.wrap`);
  const fields = json.fields ?? {};
  if (!isObject(fields)) throw new ConfigError('fields must be an object', path);
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value.startsWith('{') && value.endsWith('}') && value.split('{').length === 2) {
      throw new ConfigError(
        `append encoder field ${JSON.stringify(key)}: placeholder values are not supported in a Worker (there is no process environment)`,
        path,
      );
    }
  }
  return (entry) => wrapped({ ...entry, fields: { ...entry.fields, ...fields } });
}

/** A copy of `obj` with the field at `path` filtered (objects along the way are copied, the entry is not changed). */
function applyFilter(
  obj: Record<string, unknown>,
  path: string[],
  depth: number,
  filter: FieldFilter,
): Record<string, unknown> {
  const key = path[depth];
  if (!Object.hasOwn(obj, key)) return obj;
  const value = obj[key];
  if (depth < path.length - 1) {
    if (!isObject(value)) return obj;
    return { ...obj, [key]: applyFilter(value, path, depth + 1, filter) };
  }
  const result = filter({ key, value });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== key) out[k] = v;
    else if (result) out[result.key] = result.value;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
