import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileConfig } from '../config/compile.ts';
import { CliError, type Command } from './command.ts';
import { parseListen } from './front/listen-address.ts';
import { buildLocalRuntime } from './local/build.ts';
import { localSecrets } from './local/secrets.ts';
import { logFileSpecs } from './local/log-files.ts';
import { privateSocketDir, serveLocalRuntime } from './local/serve.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { warningLine } from './log.ts';

/**
 * `gatehouse selfhost`: the same build that deploys to Cloudflare, run by `workerd serve` on your own machine behind
 * a small front (src/cli/front) that checks each request and tells the Worker the real client address. Builds the
 * bundle, writes the adapted config and the workerd config next to it (0600) and starts both; Durable Object state
 * (config versions, rate limits, metrics, health) persists under --data.
 */
export const selfhostCommand: Command = {
  name: 'selfhost',
  usage: '[--config <path>] [--listen <host:port>] [--data <dir>] [--build-only]',
  short: 'Runs Gatehouse under workerd on this machine (no Cloudflare account needed)',
  long: 'Builds the Worker, generates a workerd config with on-disk Durable Object storage, and runs `workerd serve` behind a front on --listen. ADMIN_TOKEN and METRICS_TOKEN come from the environment or ./.dev.vars.',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file (default ./Caddyfile)' },
    { name: 'listen', short: 'l', kind: 'string', help: 'Address to listen on (default *:<site port>)' },
    { name: 'data', kind: 'string', help: 'Directory for Durable Object storage (default .gatehouse/data)' },
    {
      name: 'build-only',
      kind: 'bool',
      help: 'Write the bundle and a workerd config listening on --listen itself (no front), do not start workerd',
    },
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
    const listenFlag = args.strings.get('listen') ?? `*:${ports[0] ?? 8080}`;
    const listen = parseListen(listenFlag);
    const outDir = resolve(ctx.cwd, '.gatehouse/selfhost');
    const dataDir = resolve(ctx.cwd, args.strings.get('data') ?? '.gatehouse/data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secrets = localSecrets(ctx.cwd, ctx.env);
    // --build-only is for running workerd by hand (benchmarks, other supervisors): it then listens on --listen
    // itself, without the front's checks.
    if (args.bools.has('build-only')) {
      buildLocalRuntime({
        outDir,
        dataDir,
        workerdAddress: listenFlag,
        config: loaded.config,
        cwd: ctx.cwd,
        secrets,
        configPath: path,
      });
      ctx.err(`gatehouse: bundle and workerd config in ${outDir}; data in ${dataDir}\n`);
      return 0;
    }
    const sockets = privateSocketDir();
    const removeSocketDir = () => rmSync(sockets.dir, { recursive: true, force: true });
    let capnpPath: string;
    try {
      capnpPath = buildLocalRuntime({
        outDir,
        dataDir,
        workerdAddress: `unix:${sockets.socket}`,
        config: loaded.config,
        cwd: ctx.cwd,
        secrets,
        configPath: path,
      });
    } catch (e) {
      removeSocketDir();
      throw e;
    }
    ctx.err(`gatehouse: bundle and workerd config in ${outDir}; data in ${dataDir}\n`);
    return serveLocalRuntime({
      capnpPath,
      socket: sockets.socket,
      listen,
      err: ctx.err,
      logFiles: logFileSpecs(loaded.config),
      cleanup: removeSocketDir,
    });
  },
};
