import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Path of wrangler's CLI script in this package's dependencies (its package exports hide the bin path). */
export function wranglerBin(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('wrangler'); // …/wrangler/wrangler-dist/cli.js
  return join(dirname(dirname(main)), 'bin', 'wrangler.js');
}

/** workerd's binary: wrangler's own dependency, wherever the package manager put it. */
export function workerdBin(): string {
  const fromWrangler = createRequire(wranglerBin());
  return join(dirname(fromWrangler.resolve('workerd/package.json')), 'bin', 'workerd');
}
