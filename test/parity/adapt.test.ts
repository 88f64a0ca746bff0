import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CADDY, caddyAdapt, caddyVersion } from './caddy.ts';

// Adapt parity: every sample Caddyfile goes through `caddy adapt` (Debian's 2.6.2) and Gatehouse's adapter, and
// the JSON must be the same (key order aside). Samples use syntax 2.6.2 understands.

/**
 * Where Caddy HEAD (whose adapter Gatehouse follows, see the conformance suite) differs from 2.6.2 on the same
 * input. These are still adapted by both and must still differ; if 2.6.2's output ever equals ours, the entry goes.
 */
const VERSION_DIFFERENCES: Record<string, string> = {
  '06-redir.Caddyfile':
    'HEAD sorts same-specificity path routes of one directive differently (sortRoutes tie-breaking changed after 2.6)',
  '08-route.Caddyfile':
    'HEAD consolidates adjacent routes with identical matchers inside route blocks; 2.6.2 keeps one route per directive',
  '09-errors.Caddyfile':
    'HEAD wraps handle_errors contents in a subroute (to support status-code filters); 2.6.2 inlines them',
  '12-vars-map.Caddyfile':
    'HEAD sorts catch-all vars routes in reverse (the sort_vars_in_reverse golden file); 2.6.2 keeps file order',
};

const dir = new URL('./samples/adapt/', import.meta.url).pathname;
const samples = readdirSync(dir)
  .filter((f) => f.endsWith('.Caddyfile'))
  .sort();
let identical = 0;

describe.skipIf(!CADDY)(`adapt parity against ${caddyVersion()}`, () => {
  afterAll(() => {
    const known = Object.keys(VERSION_DIFFERENCES).length;
    console.log(
      `parity(adapt): ${identical}/${samples.length - known} identical (${known} known 2.6.2-vs-HEAD differences)`,
    );
  });

  for (const file of samples) {
    it(file, () => {
      const path = join(dir, file);
      const theirs = caddyAdapt(path);
      expect(theirs.error, `caddy adapt failed: ${theirs.error}`).toBeUndefined();
      const ours = adaptCaddyfile(readFileSync(path, 'utf8'), { filename: path, env: {} }).config;
      if (VERSION_DIFFERENCES[file]) {
        expect(ours, `known 2.6.2 difference no longer differs: ${file}`).not.toEqual(theirs.json);
        return;
      }
      expect(ours).toEqual(theirs.json);
      identical++;
    });
  }
});

if (!CADDY) console.log('parity(adapt): skipped, caddy is not installed (apt-get install -y caddy)');
