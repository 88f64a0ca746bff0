import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './command.ts';

/**
 * Where Gatehouse's own files are: the directory of its package.json, found upward from this module, so the same
 * code works from src/cli (developing Gatehouse) and from the CLI bundle an installed package runs (lib/).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gatehouse')
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new CliError('cannot find the gatehouse package directory');
    dir = parent;
  }
}

/**
 * The wrangler project a build or deploy runs in: the current directory when it has a wrangler.toml (a user's
 * project, written by `gatehouse init`); else Gatehouse's own checkout, so `npm start` and the tests work from
 * anywhere inside it. wrangler then keeps its state (.wrangler/) in that project.
 */
export function wranglerProjectDir(cwd: string): string {
  if (existsSync(join(cwd, 'wrangler.toml'))) return cwd;
  const root = packageRoot();
  if (existsSync(join(root, 'wrangler.toml'))) return root;
  throw new CliError(`no wrangler.toml in ${cwd}: run "gatehouse init" there first`);
}
