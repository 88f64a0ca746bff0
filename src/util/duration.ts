/**
 * Caddy's durations: Go's syntax (`1h30m`, `1.5s`, `300ms`, `-2m`, units ns us µs ms s m h) plus `d` for 24h.
 * In JSON configs a duration is integer nanoseconds or such a string.
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
};

/** Nanoseconds for a duration string, or undefined when it is not one. "0" alone is valid, as in Go. */
export function parseDurationNs(text: string): number | undefined {
  let s = text.trim();
  if (s === '') return undefined;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]];
    pos = part.lastIndex;
  }
  return pos === 0 ? undefined : sign * Math.round(total);
}

/** A JSON duration (integer ns or string) in milliseconds; undefined when absent or invalid. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value / 1e6;
  if (typeof value === 'string') {
    const ns = parseDurationNs(value);
    return ns === undefined ? undefined : ns / 1e6;
  }
  return undefined;
}
