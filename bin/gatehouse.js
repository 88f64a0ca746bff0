#!/usr/bin/env node
// Gatehouse CLI launcher. An installed package runs the CLI bundled to JavaScript (lib/cli.mjs, built by `npm pack`):
// Node does not strip TypeScript types under node_modules. A checkout runs the TypeScript in src/cli directly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../lib/cli.mjs', import.meta.url);
const installed = /[\\/]node_modules[\\/]/.test(fileURLToPath(import.meta.url));
const useBundle = existsSync(bundle) && (installed || !process.features?.typescript);
const [major] = process.versions.node.split('.').map(Number);

if (useBundle ? major < 22 : !process.features?.typescript) {
  // wrangler, which builds and deploys the Worker, needs Node 22; running src/cli needs type stripping (22.18).
  const need = useBundle ? '22' : '22.18 (a checkout runs TypeScript directly)';
  process.stderr.write(
    `Error: gatehouse needs Node.js >= ${need}; this is Node ${process.version}.\n` +
      (useBundle
        ? 'Install a current Node.js LTS (https://nodejs.org) and run it again.\n'
        : 'In a checkout, run it through npm (npm start, npx gatehouse …), which uses the Node from node_modules/.bin.\n'),
  );
  process.exit(1);
}

if (!useBundle) {
  // Some 22.x lines print an ExperimentalWarning for type stripping; it is noise for CLI users.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'ExperimentalWarning' && /type strip|typescript/i.test(String(text))) return;
    return emitWarning.call(process, warning, ...rest);
  };
}

const { main } = await import(useBundle ? bundle.href : '../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
