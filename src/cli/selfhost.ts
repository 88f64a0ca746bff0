import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileConfig } from '../config/compile.ts';
import { CliError, type Command } from './command.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { warningLine } from './log.ts';
import { compatibilityOf, selfhostConfig } from './selfhost-config.ts';
import { wranglerBin } from './wrangler.ts';

/**
 * `gatehouse selfhost`: the same build that deploys to Cloudflare, run by `workerd serve` on your own machine.
 * Builds the bundle (wrangler deploy --dry-run, config baked in), writes a workerd config next to it and starts
 * workerd; Durable Object state (config versions, rate limits, metrics, health) persists under --data.
 */
export const selfhostCommand: Command = {
  name: 'selfhost',
  usage: '[--config <path>] [--listen <host:port>] [--data <dir>] [--build-only]',
  short: 'Runs Gatehouse under workerd on this machine (no Cloudflare account needed)',
  long: 'Builds the Worker with the config baked in, generates a workerd config with on-disk Durable Object storage, and runs `workerd serve`.',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file (default ./Caddyfile)' },
    { name: 'listen', short: 'l', kind: 'string', help: 'Address to listen on (default *:<site port>)' },
    { name: 'data', kind: 'string', help: 'Directory for Durable Object storage (default .gatehouse/data)' },
    { name: 'build-only', kind: 'bool', help: 'Write the bundle and workerd config, do not start workerd' },
  ],
  async run(args, ctx) {
    const path = configPath(args.strings.get('config'), ctx);
    const loaded = await loadConfig(path, chooseAdapter(path, undefined), ctx);
    for (const w of loaded.warnings) ctx.err(warningLine(w));
    let ports: number[];
    try {
      ports = compileConfig(loaded.config).ports;
    } catch (e) {
      throw new CliError(`${path}: ${(e as Error).message}`);
    }
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const outDir = resolve(ctx.cwd, '.gatehouse/selfhost');
    const dataDir = resolve(ctx.cwd, args.strings.get('data') ?? '.gatehouse/data');
    mkdirSync(dataDir, { recursive: true });

    const build = spawnSync(
      process.execPath,
      [wranglerBin(), 'deploy', '--dry-run', '--outdir', outDir, '--define', `GATEHOUSE_BAKED_CONFIG:${JSON.stringify(JSON.stringify(loaded.config))}`, '--define', `GATEHOUSE_DEPLOYED_AT:${Date.now()}`],
      { cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    if (build.status !== 0) throw new CliError(`building the bundle failed:\n${build.stderr || build.stdout}`);

    const files = readdirSync(outDir).filter((f) => !f.endsWith('.map') && f !== 'README.md' && !f.endsWith('.capnp'));
    const modules = [
      { name: 'index.js', kind: 'esModule' as const },
      ...files.filter((f) => f !== 'index.js').map((name) => ({ name, kind: 'text' as const })),
    ];
    const wrangler = readFileSync(join(root, 'wrangler.toml'), 'utf8');
    const capnp = selfhostConfig({
      modules,
      dataDir,
      listen: args.strings.get('listen') ?? `*:${ports[0] ?? 8080}`,
      ...compatibilityOf(wrangler),
      vars: stringVars(wrangler),
      durableObjects: [...wrangler.matchAll(/name\s*=\s*"([A-Z_]+)"\s*\nclass_name\s*=\s*"(\w+)"/g)].map((m) => ({
        binding: m[1],
        className: m[2],
      })),
    });
    const capnpPath = join(outDir, 'workerd.capnp');
    writeFileSync(capnpPath, capnp);
    ctx.err(`gatehouse: bundle and workerd config in ${outDir}; data in ${dataDir}\n`);
    if (args.bools.has('build-only')) return 0;

    const require = createRequire(import.meta.url);
    const workerd = join(dirname(require.resolve('workerd/package.json')), 'bin', 'workerd');
    const child = spawn(workerd, ['serve', capnpPath, '--experimental'], { stdio: 'inherit' });
    // Stop workerd with us, however we are stopped.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => child.kill(sig));
    return new Promise((res) => child.on('exit', (code) => res(code ?? 0)));
  },
};

/** The [vars] of wrangler.toml (string values only). */
function stringVars(toml: string): Record<string, string> {
  const section = /\[vars\]([\s\S]*?)(?:\n\[|$)/.exec(toml)?.[1] ?? '';
  const out: Record<string, string> = {};
  for (const m of section.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)) out[m[1]] = m[2];
  return out;
}
