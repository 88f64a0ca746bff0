// Bundles the CLI (src/cli/main.ts) into lib/cli.mjs for the published package: Node strips TypeScript types only
// outside node_modules, so an installed gatehouse cannot run src/cli directly. Run by `npm pack` (prepack).
// Dependencies stay imports (resolved from the installed package); Gatehouse's own modules are inlined.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const esbuild = createRequire(require.resolve('wrangler'))('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'lib/cli.mjs'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  logLevel: 'warning',
});
console.log('build-cli: lib/cli.mjs');
