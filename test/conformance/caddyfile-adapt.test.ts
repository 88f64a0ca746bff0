import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { jsonEqual } from '../../src/adapt/subroute.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import { KNOWN_DIFFERENCES } from './known-differences.ts';

// Caddy's golden adapter files: Caddyfile, a `----------` line, then the JSON `caddy adapt` prints (or an error).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = resolve(repoRoot, '../shared/conformance/caddyfile_adapt');
const allFiles = existsSync(dir) ? readdirSync(dir) : [];
const files = allFiles.filter((f) => f.endsWith('.caddyfiletest')).sort();

type Outcome = { kind: 'match' } | { kind: 'mismatch'; detail: string } | { kind: 'unsupported'; what: string[] };

function run(file: string): Outcome | undefined {
  const text = readFileSync(join(dir, file), 'utf8');
  const sep = text.search(/^-{10}\s*$/m);
  if (sep < 0) return undefined;
  const input = text.slice(0, sep);
  const expected = text
    .slice(sep)
    .replace(/^-{10}\s*\n?/, '')
    .trim();
  if (!expected.startsWith('{')) return runError(input, expected);
  let want: unknown;
  try {
    want = JSON.parse(expected);
  } catch {
    return undefined;
  }
  try {
    const { config, ignored } = adaptCaddyfile(input, { filename: 'Caddyfile' });
    if (jsonEqual(config, want)) return { kind: 'match' };
    if (ignored.length) return { kind: 'unsupported', what: ignored };
    return { kind: 'mismatch', detail: `got ${JSON.stringify(config)}` };
  } catch (e) {
    if (e instanceof CaddyfileError && e.unsupported) return { kind: 'unsupported', what: [e.unsupported] };
    return { kind: 'mismatch', detail: `threw ${(e as Error).message}` };
  }
}

/**
 * Location decorations differ by design (Gatehouse prefixes `file:line - Error during parsing:`, Caddy HEAD appends
 * `, at file:line`), so both sides drop them; like Caddy's own golden runner, the expected text must be contained.
 */
function bareMessage(msg: string): string {
  return msg
    .replace(/[^\s:']+:\d+ - Error during parsing: /g, '')
    .replace(/, at [^\s:]+:\d+/g, '')
    .replace(/ import chain \[[^\]]*\]/g, '')
    .trim();
}

function runError(input: string, expected: string): Outcome {
  try {
    const { ignored } = adaptCaddyfile(input, { filename: 'Caddyfile' });
    if (ignored.length) return { kind: 'unsupported', what: ignored };
    return { kind: 'mismatch', detail: `no error; want ${expected}` };
  } catch (e) {
    if (e instanceof CaddyfileError && e.unsupported) return { kind: 'unsupported', what: [e.unsupported] };
    const got = bareMessage((e as Error).message);
    return got.includes(bareMessage(expected)) ? { kind: 'match' } : { kind: 'mismatch', detail: `error ${got}` };
  }
}

describe('caddy adapt golden files', () => {
  if (!files.length) {
    // Without the shared checkout (e.g. a fresh clone) there is nothing to compare against: one line says so.
    console.log(`conformance: skipped, no golden files at ${dir}`);
    it.skip(`golden files not found at ${dir}`, () => {});
    return;
  }
  const outcomes = new Map(files.map((f) => [f, run(f)]));
  const json = [...outcomes].filter(([, o]) => o !== undefined) as [string, Outcome][];
  const unsupported = json.filter(([, o]) => o.kind === 'unsupported');
  const supported = json.filter(([, o]) => o.kind !== 'unsupported');
  const matching = supported.filter(([, o]) => o.kind === 'match');
  const byWhat = new Map<string, string[]>();
  for (const [f, o] of unsupported) {
    if (o.kind !== 'unsupported') continue;
    for (const w of o.what) byWhat.set(w, [...(byWhat.get(w) ?? []), f]);
  }
  console.log(`conformance: ${matching.length}/${supported.length} supported files match (of ${allFiles.length})`);
  console.log(`unsupported (${unsupported.length}): ${[...byWhat].map(([w, fs]) => `${w} (${fs.length})`).join(', ')}`);

  const stale = Object.keys(KNOWN_DIFFERENCES).filter((f) => outcomes.get(f)?.kind === 'match');
  if (stale.length) console.log(`known differences that now match (remove them): ${stale.join(', ')}`);

  it('every known difference has a reason', () => {
    for (const [f, reason] of Object.entries(KNOWN_DIFFERENCES)) expect(reason.trim(), f).not.toBe('');
  });

  for (const [f, o] of supported) {
    const known = KNOWN_DIFFERENCES[f];
    if (known) {
      it.skip(`${f} (known difference: ${known})`, () => {});
      continue;
    }
    it(f, () => {
      expect(o.kind === 'mismatch' ? o.detail : 'match', f).toBe('match');
    });
  }
});
