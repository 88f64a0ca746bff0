import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { CADDY, caddyVersion } from '../parity/caddy.ts';
import { KNOWN_DIFFERENCES } from './known-differences.ts';

// Public Caddyfiles (sources and licences in SOURCES.md) through `caddy adapt` and Gatehouse. Every file Caddy
// accepts must either adapt and compile here, or be refused with the reason Gatehouse cannot serve it.

const dir = new URL('./corpus/', import.meta.url).pathname;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.Caddyfile'))
  .sort();
const UNSUPPORTED = 'valid in Caddy but not supported by Gatehouse: ';

const counts = { accepted: 0, equal: 0, validated: 0, refused: 0 };
const refusals = new Map<string, string[]>();

/** `caddy adapt` with no environment beyond PATH and HOME, so `{$VAR}` placeholders are empty for both sides. */
function caddyAdapt(path: string): { json?: unknown; error?: string } {
  const res = spawnSync(CADDY!, ['adapt', '--config', path, '--adapter', 'caddyfile'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  if (res.status !== 0) return { error: (res.stderr || res.stdout).trim() };
  return { json: JSON.parse(res.stdout) };
}

describe.skipIf(!CADDY)(`real-world Caddyfiles against ${caddyVersion()}`, () => {
  afterAll(() => {
    console.log(
      `realworld: ${files.length} files; caddy accepts ${counts.accepted}; adapt-equal ${counts.equal}; ` +
        `validate-ok ${counts.validated}; refused-with-reason ${counts.refused}`,
    );
    for (const [what, names] of refusals) console.log(`realworld: refused ${what}: ${names.join(', ')}`);
  });

  it('holds at least 50 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const theirs = caddyAdapt(path);
      if (theirs.error !== undefined) return; // Caddy refuses it (old v1 syntax, a plugin): nothing to compare
      counts.accepted++;

      let config;
      try {
        config = adaptCaddyfile(readFileSync(path, 'utf8'), { filename: path, env: {} }).config;
      } catch (e) {
        const message = (e as Error).message;
        const refused = e instanceof CaddyfileError && e.unsupported !== undefined && message.includes(UNSUPPORTED);
        expect(refused, `${file}: Caddy accepts it, Gatehouse's adapter failed without a reason: ${message}`).toBe(
          true,
        );
        counts.refused++;
        const what = (e as CaddyfileError).unsupported!;
        refusals.set(what, [...(refusals.get(what) ?? []), file]);
        return;
      }

      const equal = isDeepStrictEqual(JSON.parse(JSON.stringify(config)), theirs.json);
      if (KNOWN_DIFFERENCES[file]) {
        expect(equal, `known difference no longer differs: ${file}`).toBe(false);
      } else {
        if (!equal) expect(config, `${file}: adapted JSON differs from caddy adapt`).toEqual(theirs.json);
        counts.equal++;
      }

      try {
        compileConfig(config);
      } catch (e) {
        expect.fail(`${file}: adapted, but does not compile: ${(e as Error).message}`);
      }
      counts.validated++;
    });
  }
});

if (!CADDY) console.log('realworld: skipped, caddy is not installed (apt-get install -y caddy)');
