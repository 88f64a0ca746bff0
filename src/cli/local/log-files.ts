import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { CaddyConfigJSON } from '../../config/caddy-json.ts';
import { FILE_LINE_MARK, fileWriterSpec, type FileWriterSpec } from '../../logging/writers.ts';

// Under `run`/`selfhost` the Worker prints a `file` log writer's lines to stdout with a mark naming the file; this
// routes them to the file (rolled by size as Caddy's lumberjack does) and passes every other line through.

const ROLLED_STAMP = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}$/;
const DEFAULT_SPEC = { rollSizeBytes: 100 * 1024 * 1024, rollKeep: 10 };

/** The file writers of the config's logs, by filename (a config loaded later through the admin API gets defaults). */
export function logFileSpecs(config: CaddyConfigJSON): Map<string, FileWriterSpec> {
  const specs = new Map<string, FileWriterSpec>();
  const logs =
    (config.logging as { logs?: Record<string, { writer?: Record<string, unknown> }> } | undefined)?.logs ?? {};
  for (const [name, log] of Object.entries(logs)) {
    if (log?.writer?.output !== 'file') continue;
    try {
      const spec = fileWriterSpec(log.writer, `logging.logs.${name}.writer`);
      specs.set(spec.filename, spec);
    } catch {
      // A writer the Worker refuses never prints a line for the CLI to route.
    }
  }
  return specs;
}

/** Reads `from` line by line until it ends: marked lines go to their files, the rest to `to`. */
export function routeLogLines(
  from: Readable,
  to: Writable,
  specs: Map<string, FileWriterSpec>,
  err: (text: string) => void,
): void {
  const files = new Map<string, RollingFile>();
  const failed = new Set<string>();
  let pending = '';
  const line = (text: string) => {
    if (!text.startsWith(FILE_LINE_MARK)) {
      to.write(`${text}\n`);
      return;
    }
    const tab = text.indexOf('\t', FILE_LINE_MARK.length);
    const filename = text.slice(FILE_LINE_MARK.length, tab);
    let file = files.get(filename);
    if (!file) {
      file = new RollingFile(filename, specs.get(filename) ?? { filename, ...DEFAULT_SPEC });
      files.set(filename, file);
    }
    try {
      file.write(`${text.slice(tab + 1)}\n`);
    } catch (e) {
      // Said once per file, not per entry: a full disk must not flood the terminal.
      if (!failed.has(filename)) err(`gatehouse: cannot write log file ${filename}: ${(e as Error).message}\n`);
      failed.add(filename);
    }
  };
  from.setEncoding('utf8');
  // Only the new chunk is searched for line ends, so a long line costs linear time however it is split.
  from.on('data', (chunk: string) => {
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl >= 0) {
      line(pending + chunk.slice(start, nl));
      pending = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    pending += chunk.slice(start);
  });
  from.on('end', () => {
    if (pending) line(pending);
  });
}

/** An append-only file rolled when it would pass its size: the old one becomes `name-<time>.ext`, the oldest go. */
class RollingFile {
  private size = -1;
  private readonly path: string;
  private readonly spec: FileWriterSpec;

  constructor(path: string, spec: FileWriterSpec) {
    this.path = path;
    this.spec = spec;
  }

  write(text: string): void {
    if (this.size < 0) {
      mkdirSync(dirname(this.path), { recursive: true });
      try {
        this.size = statSync(this.path).size;
      } catch {
        this.size = 0;
      }
    }
    const bytes = Buffer.byteLength(text);
    if (this.spec.rollSizeBytes > 0 && this.size > 0 && this.size + bytes > this.spec.rollSizeBytes) this.roll();
    appendFileSync(this.path, text, { mode: 0o600 });
    this.size += bytes;
  }

  private roll(): void {
    const ext = extname(this.path);
    const stem = basename(this.path, ext);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace('Z', '');
    renameSync(this.path, join(dirname(this.path), `${stem}-${stamp}${ext}`));
    this.size = 0;
    const rolled = readdirSync(dirname(this.path))
      .filter(
        (f) =>
          f.startsWith(`${stem}-`) &&
          f.endsWith(ext) &&
          ROLLED_STAMP.test(f.slice(stem.length + 1, f.length - ext.length)),
      )
      .sort();
    for (const old of rolled.slice(0, Math.max(0, rolled.length - this.spec.rollKeep)))
      rmSync(join(dirname(this.path), old), { force: true });
  }
}
