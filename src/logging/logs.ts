import { ConfigError } from '../config/errors.ts';
import { durationMs } from '../util/duration.ts';
import { compileEncoder, type LogEncoder } from './encoders.ts';
import { LEVEL_RANK, type LogEntry, type LogLevel } from './entry.ts';
import { compileWriter, type LogWriter } from './writers.ts';

// The top-level `logging.logs` (Caddy's CustomLog): each named log takes the entries whose logger name its
// include/exclude allow, at or above its level, optionally sampled, and writes them with its encoder and writer.
// Caddy's `default` log always exists (stderr, json here: a Worker's stderr is never a terminal).

export interface CompiledLog {
  readonly name: string;
  accepts(logger: string, level: LogLevel): boolean;
  write(entry: LogEntry): void;
}

/** Every log of the config; `emit` hands an entry to each log that accepts it. */
export interface Logs {
  readonly logs: readonly CompiledLog[];
  emit(entry: LogEntry): void;
}

const LEVELS: Record<string, LogLevel | 'off'> = {
  '': 'info',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  panic: 'off',
  fatal: 'off',
};

export function compileLogs(logging: unknown): Logs {
  const path = 'logging.logs';
  const json = (logging as { logs?: unknown } | undefined)?.logs ?? {};
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError('logs must be an object', path);
  const entries = Object.entries(json as Record<string, unknown>);
  if (!entries.some(([name]) => name === 'default')) entries.unshift(['default', {}]);
  const logs = entries.map(([name, spec]) => compileLog(name, spec, `${path}.${name}`));
  return {
    logs,
    emit(entry) {
      for (const log of logs) if (log.accepts(entry.logger, entry.level)) log.write(entry);
    },
  };
}

function compileLog(name: string, json: unknown, path: string): CompiledLog {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError('a log must be an object', path);
  const spec = json as Record<string, unknown>;
  const level = LEVELS[typeof spec.level === 'string' ? spec.level.toLowerCase() : spec.level === undefined ? '' : '?'];
  if (!level) throw new ConfigError(`unrecognized log level: ${String(spec.level)}`, path);
  const include = stringList(spec.include, `${path}.include`);
  const exclude = stringList(spec.exclude, `${path}.exclude`);
  checkNamespaces(include, exclude, path);
  const encode: LogEncoder = compileEncoder(spec.encoder, `${path}.encoder`);
  const writer: LogWriter = compileWriter(spec.writer, `${path}.writer`);
  const sampled = spec.sampling === undefined ? undefined : sampler(spec.sampling, `${path}.sampling`);
  const minRank = level === 'off' ? Number.POSITIVE_INFINITY : LEVEL_RANK[level];
  return {
    name,
    accepts: (logger, entryLevel) => LEVEL_RANK[entryLevel] >= minRank && loggerAllowed(include, exclude, logger),
    write(entry) {
      if (sampled && !sampled(entry)) return;
      writer(encode(entry));
    },
  };
}

function stringList(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new ConfigError('must be a list of logger names', path);
  return v;
}

/** Caddy refuses include/exclude lists that overlap or that name unrelated namespaces. */
function checkNamespaces(include: string[], exclude: string[], path: string): void {
  if (!include.length || !exclude.length) return;
  for (const allow of include) {
    if (exclude.includes(allow))
      throw new ConfigError(`include and exclude must not intersect, but found ${allow} in both lists`, path);
  }
  for (const allow of include) {
    if (!exclude.some((deny) => `${allow}.`.startsWith(`${deny}.`) || `${deny}.`.startsWith(`${allow}.`))) {
      throw new ConfigError(
        `when both include and exclude are populated, each element must be a superspace or subspace of one in the other list; check '${allow}' in include`,
        path,
      );
    }
  }
}

/** Caddy's loggerAllowed: the longest matching include namespace must beat the longest matching exclude. */
export function loggerAllowed(include: string[], exclude: string[], loggerName: string): boolean {
  if (!include.length && !exclude.length) return true;
  const name = loggerName !== '' && loggerName !== '*' && loggerName !== '.' ? `${loggerName}.` : loggerName;
  let accept = 0;
  let reject = 0;
  for (const ns of include) if (name.startsWith(`${ns}.`) && ns.length > accept) accept = ns.length;
  if (include.length && accept === 0) return false;
  for (const ns of exclude) {
    if ((ns === '*' && name !== '.') || (ns === '.' && name === '.')) return false;
    if (name.startsWith(`${ns}.`) && ns.length > reject) reject = ns.length;
  }
  if (reject > accept) return false;
  return accept > reject || (!include.length && reject === 0);
}

/**
 * zap's sampler as Caddy configures it (interval 1s, first 100, thereafter 100 unless set): per level and message,
 * the first `first` entries of each interval are written, then every `thereafter`-th. Counted per isolate.
 */
function sampler(json: unknown, path: string): (entry: LogEntry) => boolean {
  if (typeof json !== 'object' || json === null) throw new ConfigError('sampling must be an object', path);
  const s = json as Record<string, unknown>;
  const intervalMs = s.interval === undefined || s.interval === 0 ? 1000 : durationMs(s.interval);
  if (intervalMs === undefined || intervalMs <= 0)
    throw new ConfigError('sampling interval must be a positive duration', path);
  const first = positiveInt(s.first, 100, path);
  const thereafter = positiveInt(s.thereafter, 100, path);
  const counts = new Map<string, { tick: number; n: number }>();
  return (entry) => {
    const tick = Math.floor(entry.time / intervalMs);
    const key = `${entry.level}\u0000${entry.msg}`;
    let c = counts.get(key);
    if (!c || c.tick !== tick) {
      // A new interval starts every counter again; old keys are dropped so the map stays small.
      if (!c && counts.size >= 4096) counts.clear();
      c = { tick, n: 0 };
      counts.set(key, c);
    }
    c.n++;
    return c.n <= first || (c.n - first) % thereafter === 0;
  };
}

function positiveInt(v: unknown, fallback: number, path: string): number {
  if (v === undefined || v === 0) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ConfigError('sampling first/thereafter must be non-negative integers', path);
  return v;
}
