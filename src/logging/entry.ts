// One log entry before encoding: zap's fixed fields (level, time, logger name, message) and the entry's own fields
// in the order they were added.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LEVEL_RANK: Record<LogLevel, number> = { debug: -1, info: 0, warn: 1, error: 2 };

/** A duration field: encoders write it as duration_format says (seconds by default, as zap does). */
export class LogDuration {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }

  /** The default format, so the native JSON.stringify can write an entry in one call. */
  toJSON(): number {
    return this.ms / 1000;
  }
}

export interface LogEntry {
  level: LogLevel;
  /** Milliseconds since the epoch. */
  time: number;
  /** Dotted logger name (`http.log.access.NAME`). */
  logger: string;
  msg: string;
  fields: Record<string, unknown>;
}
