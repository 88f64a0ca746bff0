import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { logFileSpecs, routeLogLines } from '../../src/cli/local/log-files.ts';
import { FILE_LINE_MARK } from '../../src/logging/writers.ts';

// `gatehouse run`/`selfhost`: the Worker's lines for a `file` log writer, marked on workerd's stdout, land in the file.

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function route(text: string[], specs = new Map(), chunk = 7): Promise<string> {
  const from = new PassThrough();
  const to = new PassThrough();
  let passed = '';
  to.on('data', (c: Buffer) => (passed += c.toString()));
  routeLogLines(from, to, specs, () => {});
  // Chunk boundaries fall inside lines, as a pipe delivers them.
  const all = text.join('');
  for (let i = 0; i < all.length; i += chunk) from.write(all.slice(i, i + chunk));
  from.end();
  await new Promise((r) => setImmediate(r));
  return passed;
}

describe('log file routing', () => {
  it('marked lines go to their file, unmarked ones pass through', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-logs-'));
    const file = join(dir, 'sub', 'access.log');
    const passed = await route([
      `${FILE_LINE_MARK}${file}\t{"a":1}\n`,
      'plain line\n',
      `${FILE_LINE_MARK}${file}\t{"a":2}\n`,
    ]);
    expect(passed).toBe('plain line\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('rolls the file past roll_size and keeps roll_keep old files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-logs-'));
    const file = join(dir, 'access.log');
    const specs = logFileSpecs({
      logging: { logs: { l: { writer: { output: 'file', filename: file, roll_size_mb: 1, roll_keep: 1 } } } },
    });
    const line = `${FILE_LINE_MARK}${file}\t${'x'.repeat(700 * 1024)}\n`;
    await route([line], specs, 4096);
    await route([line], specs, 4096);
    await new Promise((r) => setTimeout(r, 5));
    await route([line], specs, 4096);
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain('access.log');
    expect(names.find((n) => n !== 'access.log')).toMatch(/^access-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
  });
});
