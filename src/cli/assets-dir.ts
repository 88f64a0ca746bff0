import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './command.ts';

/**
 * The static-assets model: a site's `root` is the directory Gatehouse serves through the ASSETS binding, the one
 * `[assets] directory` of the deployment (and the workerd `disk` service locally). One Worker has one assets
 * directory, so every root in the config must name the same directory (relative roots are resolved against the
 * Caddyfile's directory). A config with neither file_server nor a file matcher has no assets and pays nothing.
 */
export function assetsDirectory(config: unknown, configPath: string): string | undefined {
  const found = { uses: false, roots: [] as string[] };
  collect(config, found);
  if (!found.uses) return undefined;
  const base = dirname(resolve(configPath));
  let dir: string | undefined;
  let first = '';
  for (const root of found.roots) {
    if (root === '{http.vars.root}') continue; // the default: the site's `root` directive, collected itself
    if (root.includes('{')) {
      throw new CliError(
        `${where(configPath, root)}: root ${JSON.stringify(root)} has a placeholder; static assets are one directory chosen at deploy time, so root must be a plain path`,
      );
    }
    const abs = resolve(base, root);
    if (dir === undefined) {
      dir = abs;
      first = root;
    } else if (abs !== dir) {
      throw new CliError(
        `${where(configPath, root)}: root ${JSON.stringify(root)} differs from root ${JSON.stringify(first)}; ` +
          'Gatehouse serves files from one static-assets directory, so every site must use the same root',
      );
    }
  }
  // Caddy's default root is the current directory; Gatehouse's is the Caddyfile's.
  return dir ?? base;
}

/** Local state that must never be uploaded as a public asset: secrets and the local runtimes' build (with the config). */
const PRIVATE = ['.dev.vars', '.gatehouse', '.wrangler'];

/**
 * Refuses to deploy an assets directory holding Gatehouse's private files (e.g. root is the Caddyfile's directory),
 * unless a `.assetsignore` (wrangler's) says what to leave out.
 */
export function checkUploadable(dir: string, configPath: string): void {
  if (existsSync(join(dir, '.assetsignore'))) return;
  const found = PRIVATE.filter((name) => existsSync(join(dir, name)));
  if (found.length === 0) return;
  throw new CliError(
    `${configPath}: the static-assets directory ${dir} holds ${found.join(', ')}, which deploy would upload as public files; ` +
      'set root to a directory of public files only, or list them in a .assetsignore there',
  );
}

function collect(v: unknown, found: { uses: boolean; roots: string[] }): void {
  if (Array.isArray(v)) {
    for (const x of v) collect(x, found);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  if (o.handler === 'file_server') found.uses = true;
  if ((o.handler === 'vars' || o.handler === 'file_server') && typeof o.root === 'string') found.roots.push(o.root);
  if (typeof o.file === 'object' && o.file !== null && !Array.isArray(o.file)) {
    found.uses = true;
    const root = (o.file as Record<string, unknown>).root;
    if (typeof root === 'string') found.roots.push(root);
  }
  for (const x of Object.values(o)) collect(x, found);
}

/** `file:line` of the first line of the Caddyfile naming the root, or the file alone (e.g. a root from an import). */
function where(configPath: string, root: string): string {
  try {
    const lines = readFileSync(configPath, 'utf8').split('\n');
    const i = lines.findIndex((l) => /\broot\b/.test(l) && l.includes(root));
    if (i >= 0) return `${configPath}:${i + 1}`;
  } catch {
    // the path alone still says which config
  }
  return configPath;
}
