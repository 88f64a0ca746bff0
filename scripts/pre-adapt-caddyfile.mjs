// Adapts the bundled Caddyfile at build time, so a Worker serving it compiles JSON on its first request instead of
// running the Caddyfile adapter (src/config/active.ts). Run by wrangler before it bundles (wrangler.toml [build],
// so `wrangler deploy` and `wrangler dev` both run it) and by the Workers test pool's global setup.
//
//   node scripts/pre-adapt-caddyfile.mjs [Caddyfile] [output]    (default: ./Caddyfile, build/bundled-caddyfile.adapted)
//
// With GATEHOUSE_BUNDLED_CADDYFILE=none the output bundles no Caddyfile (an empty one): `gatehouse deploy` bakes
// its config instead, and the published package must not carry the demo Caddyfile into users' Workers.
//
// The output, a text module of the bundle, is `{"caddyfile": <the text adapted>, "config": <its JSON> | null}`.
// `config` is null when the Caddyfile has `{$VAR}` placeholders (the Worker adapts it with its own vars, as before)
// or does not adapt (the Worker reports that, as before). `caddyfile` is the text the Worker bundles
// (src/config/bundled.ts): one file, so the text and its JSON cannot disagree.
//
// Plain JavaScript: wrangler runs it with whatever `node` is on PATH, which may be older than the CLI needs. The
// adapter (TypeScript) is bundled for it with the esbuild that wrangler ships.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const input = resolve(process.argv[2] ?? join(root, 'Caddyfile'));
const output = resolve(process.argv[3] ?? join(root, 'build', 'bundled-caddyfile.adapted'));

const require = createRequire(join(root, 'package.json'));
const esbuild = createRequire(require.resolve('wrangler'))('esbuild');
const { outputFiles } = await esbuild.build({
  stdin: {
    contents:
      "export { adaptCaddyfile } from './src/adapt/index.ts'; export { substituteEnv } from './src/caddyfile/env.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'warning',
});
mkdirSync(dirname(output), { recursive: true });
const unique = `${process.pid}-${Date.now()}`;
const adapterFile = join(dirname(output), `.adapter-${unique}.mjs`);
writeFileSync(adapterFile, outputFiles[0].contents);
let adapter;
try {
  adapter = await import(pathToFileURL(adapterFile).href);
} finally {
  rmSync(adapterFile, { force: true });
}

const none = process.env.GATEHOUSE_BUNDLED_CADDYFILE === 'none';
const caddyfile = none ? '' : readFileSync(input, 'utf8');
let config = null;
let outcome;
if (none) {
  outcome = 'none bundled (GATEHOUSE_BUNDLED_CADDYFILE=none)';
  // Substitution without vars leaves a Caddyfile without placeholders as it is; then its JSON cannot depend on them.
} else if (adapter.substituteEnv(caddyfile, {}) !== caddyfile) {
  outcome = 'has {$VAR} placeholders: adapted by the Worker with its vars';
} else {
  try {
    config = adapter.adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config;
    outcome = 'adapted';
  } catch (e) {
    outcome = `does not adapt, left to the Worker to report: ${e.message}`;
  }
}
// Written whole, then renamed: concurrent builds never read a partial file.
const tmp = `${output}.${unique}.tmp`;
writeFileSync(tmp, JSON.stringify({ caddyfile, config }));
renameSync(tmp, output);
console.log(`pre-adapt: ${none ? output : input}: ${outcome}`);
