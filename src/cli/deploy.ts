import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileConfig } from '../config/compile.ts';
import { assetsDirectory, checkUploadable } from './assets-dir.ts';
import { deployWranglerConfig } from './deploy-config.ts';
import { wranglerBin } from './wrangler.ts';
import { CliError, type Command } from './command.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { logLine, warningLine } from './log.ts';
import { fileOutputs } from '../logging/writers.ts';
import { wranglerProjectDir } from './project.ts';

/**
 * `gatehouse deploy`: validates the Caddyfile locally (adapt and compile, so a bad config never reaches the edge),
 * then runs `wrangler deploy` with the adapted JSON baked into the bundle (the Worker then skips adapting at cold
 * start). `--dry-run` builds the bundle into --outdir without uploading, which works offline.
 */
export const deployCommand: Command = {
  name: 'deploy',
  usage: '[--config <file>] [--dry-run] [--outdir <dir>] [--env <name>]',
  short: 'Validates the config and deploys Gatehouse to Cloudflare (wrangler deploy)',
  long:
    'Adapts and compiles the config first; on success runs wrangler deploy with the config baked into the bundle. ' +
    'Pass --dry-run to build without uploading (offline).',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file (default ./Caddyfile)' },
    { name: 'adapter', short: 'a', kind: 'string', help: 'Name of config adapter (caddyfile; default by file name)' },
    { name: 'dry-run', kind: 'bool', help: 'Build the bundle without deploying' },
    { name: 'outdir', kind: 'string', help: 'Where --dry-run writes the bundle (default dist)' },
    { name: 'env', kind: 'string', help: 'wrangler environment to deploy to' },
  ],
  async run(args, ctx) {
    const path = configPath(args.strings.get('config'), ctx);
    const loaded = await loadConfig(path, chooseAdapter(path, args.strings.get('adapter')), ctx);
    for (const w of loaded.warnings) ctx.err(warningLine(w));
    try {
      compileConfig(loaded.config);
    } catch (e) {
      throw new CliError(`${path}: ${(e as Error).message}`);
    }
    // A Worker has no file system: rather than refuse a Caddyfile that works under `run`, its file logs go to the
    // Worker's log stream, where an operator looks for them at the edge, and the deploy says so.
    for (const file of fileOutputs(loaded.config.logging)) {
      ctx.err(
        logLine(
          'warn',
          'deploy',
          `log output file ${file}: a Worker cannot write files; at the edge these entries go to the Worker's log stream (Workers Logs, wrangler tail)`,
        ),
      );
    }
    const json = JSON.stringify(loaded.config);
    const assets = assetsDirectory(loaded.config, path);
    if (assets !== undefined) checkUploadable(assets, path);
    const env = args.strings.get('env');
    // Beside wrangler.toml, so that its relative paths (main, alias, rules) still hold; the owner's only.
    const projectRoot = wranglerProjectDir(ctx.cwd);
    const generated = join(projectRoot, `.wrangler-deploy-${process.pid}.toml`);
    writeFileSync(
      generated,
      deployWranglerConfig(readFileSync(join(projectRoot, 'wrangler.toml'), 'utf8'), json, env, Date.now(), assets),
      { mode: 0o600 },
    );
    const wranglerArgs = ['deploy', '--config', generated];
    if (args.bools.has('dry-run')) wranglerArgs.push('--dry-run', '--outdir', args.strings.get('outdir') ?? 'dist');
    if (env) wranglerArgs.push('--env', env);
    ctx.err(
      `gatehouse: ${path} is valid (${json.length} bytes of JSON); running wrangler ${wranglerArgs[0]}${args.bools.has('dry-run') ? ' --dry-run' : ''}\n`,
    );
    try {
      return await runWrangler(wranglerArgs, projectRoot, ctx.cwd);
    } finally {
      rmSync(generated, { force: true });
    }
  },
};

/** wrangler from this package's dependencies, run with the same Node (wrangler needs Node 22). */
function runWrangler(args: string[], projectRoot: string, cwd: string): Promise<number> {
  const bin = wranglerBin();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: projectRoot,
      stdio: 'inherit',
      // The baked config is the whole config: the build bundles no Caddyfile beside it (scripts/pre-adapt-caddyfile.mjs).
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
        GATEHOUSE_CWD: cwd,
        GATEHOUSE_BUNDLED_CADDYFILE: 'none',
      },
    });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}
