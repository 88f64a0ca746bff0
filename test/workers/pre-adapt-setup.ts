import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The Worker imports the bundled Caddyfile as the build adapted it (src/config/bundled.ts). wrangler runs the
// script before it bundles (wrangler.toml [build]); the Workers test pool does not, so this does.
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/pre-adapt-caddyfile.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pre-adapting the bundled Caddyfile failed:\n${r.stderr}`);
}
