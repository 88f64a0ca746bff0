#!/usr/bin/env node
// Gatehouse CLI launcher. The CLI is TypeScript run directly by Node's type stripping (Node >= 22.18),
// so this file stays tiny: check the runtime, silence the type-stripping notice, hand over to src/cli/main.ts.

if (!process.features || !process.features.typescript) {
  process.stderr.write(
    `Error: gatehouse needs Node.js >= 22.18 (it runs TypeScript directly); this is Node ${process.version}.\n` +
      'Run it through npm (npx gatehouse …, npm start), which uses the Node from node_modules/.bin.\n',
  );
  process.exit(1);
}

// Older 22.x lines print an ExperimentalWarning for type stripping; it is noise for CLI users.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning && warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'ExperimentalWarning' && /type strip|typescript/i.test(String(text))) return;
  return emitWarning.call(process, warning, ...rest);
};

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
