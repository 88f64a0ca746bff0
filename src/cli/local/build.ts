import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaddyConfigJSON } from '../../config/caddy-json.ts';
import { ROUTE_FILE_LINES_VAR } from '../../logging/writers.ts';
import { CliError } from '../command.ts';
import { assetsDirectory } from '../assets-dir.ts';
import { compatibilityOf, selfhostConfig } from '../selfhost-config.ts';
import { wranglerProjectDir } from '../project.ts';
import { boundNames, referencedEnv } from './runtime-env.ts';
import { wranglerBin } from '../wrangler.ts';

/**
 * Builds what a local runtime (`run`, `selfhost`) gives workerd: the Worker bundle as a deployment has it
 * (wrangler deploy --dry-run), the adapted config as a text binding embedded from config.json, the secrets and the
 * variables the config reads as {env.NAME} as text bindings, and the workerd config. The config and the secrets are in 0600 files, on no command line.
 */
export interface LocalBuild {
  outDir: string;
  dataDir: string;
  /** workerd's address, `unix:/path` for the front. */
  workerdAddress: string;
  config: CaddyConfigJSON;
  /** The user's directory: its wrangler.toml is the project built (see wranglerProjectDir). */
  cwd: string;
  secrets: Record<string, string>;
  /** The Caddyfile (or JSON) the config came from: relative roots are resolved against its directory. */
  configPath: string;
}

const configFile = 'config.json';

/** Returns the path of the workerd config. */
export function buildLocalRuntime(b: LocalBuild): string {
  const root = wranglerProjectDir(b.cwd);
  const assetsDir = assetsDirectory(b.config, b.configPath);
  mkdirSync(b.outDir, { recursive: true, mode: 0o700 });
  const build = spawnSync(process.execPath, [wranglerBin(), 'deploy', '--dry-run', '--outdir', b.outDir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (build.status !== 0) throw new CliError(`building the bundle failed:\n${build.stderr || build.stdout}`);

  const files = readdirSync(b.outDir).filter(
    (f) => !f.endsWith('.map') && f !== 'README.md' && !f.endsWith('.capnp') && f !== configFile,
  );
  const modules = [
    { name: 'index.js', kind: 'esModule' as const },
    ...files.filter((f) => f !== 'index.js').map((name) => ({ name, kind: 'text' as const })),
  ];
  const wrangler = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const capnp = selfhostConfig({
    modules,
    dataDir: b.dataDir,
    listen: b.workerdAddress,
    ...compatibilityOf(wrangler),
    // The CLI reads workerd's stdout and routes the Worker's `file` log lines (logging/writers.ts).
    vars: {
      ...referencedEnv(b.config, process.env, boundNames(wrangler)),
      ...stringVars(wrangler),
      ...b.secrets,
      [ROUTE_FILE_LINES_VAR]: 'route',
    },
    embeddedText: { GATEHOUSE_CONFIG: configFile },
    durableObjects: [...wrangler.matchAll(/name\s*=\s*"([A-Z_]+)"\s*\nclass_name\s*=\s*"(\w+)"/g)].map((m) => ({
      binding: m[1],
      className: m[2],
    })),
    assetsDir,
  });
  writePrivate(join(b.outDir, configFile), JSON.stringify(b.config));
  const capnpPath = join(b.outDir, 'workerd.capnp');
  writePrivate(capnpPath, capnp);
  return capnpPath;
}

/** Written readable by the owner only, also when the file was there before with wider permissions. */
function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The [vars] of wrangler.toml (string values only). */
function stringVars(toml: string): Record<string, string> {
  const section = /\[vars\]([\s\S]*?)(?:\n\[|$)/.exec(toml)?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const m of section.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)) out[m[1]] = m[2];
  return out;
}
