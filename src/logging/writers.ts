import type { Env } from '../env.ts';
import { ConfigError } from '../config/errors.ts';

// Log writers (caddy.logging.writers.*). A Worker's console IS its log stream (Workers Logs, `wrangler tail`, and
// workerd's stdout/stderr under `gatehouse run`/`selfhost`), so stdout and stderr map to console.log/console.error.

export type LogWriter = (line: string) => void;

/**
 * A line for a `file` writer is printed with this prefix and the file name (`<mark><name>\t<line>`) when the CLI
 * that runs workerd routes such lines to the file (`run`/`selfhost` set GATEHOUSE_LOG_FILES=route). At the edge no
 * process could: the line goes to the Worker's log stream as it is, and `gatehouse deploy` says so.
 */
export const FILE_LINE_MARK = '\u001egatehouse-file:';

/** The Worker env variable the local runtime sets so that file lines are marked for routing. */
export const ROUTE_FILE_LINES_VAR = 'GATEHOUSE_LOG_FILES';

let fileLinesRouted = false;

/** Called once at isolate start with the Worker's env. */
export function configureFileLines(env: Env): void {
  fileLinesRouted = env[ROUTE_FILE_LINES_VAR] === 'route';
}

/** The `file` outputs of a config's logs, for the warning that they go to the log stream at the edge. */
export function fileOutputs(logging: unknown): string[] {
  const logs =
    (logging as { logs?: Record<string, { writer?: { output?: unknown; filename?: unknown } }> } | undefined)?.logs ??
    {};
  return Object.values(logs).flatMap((l) =>
    l?.writer?.output === 'file' && typeof l.writer.filename === 'string' ? [l.writer.filename] : [],
  );
}

export interface FileWriterSpec {
  filename: string;
  /** Roll when the file would exceed this many bytes (Caddy's roll_size, default 100 MiB); 0: never. */
  rollSizeBytes: number;
  /** Rolled files kept (Caddy's roll_keep, default 10). */
  rollKeep: number;
}

/** Compiles a `writer` object; absent, Caddy's default: stderr. */
export function compileWriter(json: unknown, path: string): LogWriter {
  if (json === undefined) return consoleError;
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError('writer must be an object', path);
  const w = json as Record<string, unknown>;
  switch (w.output) {
    case 'stdout':
      return consoleLog;
    case 'stderr':
      return consoleError;
    case 'discard':
      return discard;
    case 'file': {
      const spec = fileWriterSpec(w, path);
      const mark = `${FILE_LINE_MARK}${spec.filename}\t`;
      return (line) => console.log(fileLinesRouted ? mark + line : line);
    }
    default:
      throw new ConfigError(
        `log writer output ${JSON.stringify(w.output)} is not supported in a Worker (stdout, stderr, discard, file)`,
        path,
      );
  }
}

/** The file writer's fields; a filename with a tab or line break could not be routed, so it is refused. */
export function fileWriterSpec(w: Record<string, unknown>, path: string): FileWriterSpec {
  if (typeof w.filename !== 'string' || w.filename === '') throw new ConfigError('file writer needs a filename', path);
  if (/[\t\r\n]/.test(w.filename))
    throw new ConfigError('file writer filename must not contain tabs or line breaks', path);
  const mb = w.roll_size_mb || 100;
  const keep = w.roll_keep || 10;
  if (typeof mb !== 'number' || mb < 0) throw new ConfigError('roll_size_mb must be a non-negative number', path);
  if (typeof keep !== 'number' || keep < 0) throw new ConfigError('roll_keep must be a non-negative number', path);
  return { filename: w.filename, rollSizeBytes: w.roll === false ? 0 : Math.ceil(mb) * 1024 * 1024, rollKeep: keep };
}

function consoleLog(line: string): void {
  console.log(line);
}

function consoleError(line: string): void {
  console.error(line);
}

function discard(): void {}
