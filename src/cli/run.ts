import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileConfig } from '../config/compile.ts';
import { CliError, type Command } from './command.ts';
import { startDemoUpstreams } from './demo-upstreams.ts';
import { parseListen } from './front/listen-address.ts';
import { buildLocalRuntime } from './local/build.ts';
import { localSecrets } from './local/secrets.ts';
import { logFileSpecs } from './local/log-files.ts';
import { privateSocketDir, serveLocalRuntime } from './local/serve.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { ignoredLine, warningLine } from './log.ts';

/**
 * `gatehouse run`: serves a Caddyfile locally on workerd (the Workers runtime) behind the front, as `selfhost` does.
 * The config is adapted here, with the process environment for `{$VAR}`, and handed to the Worker as
 * GATEHOUSE_CONFIG from a 0600 file. Durable Object state lives in a fresh temporary directory, removed on exit, so
 * each run starts from the given config as `caddy run` does.
 */
export const runCommand: Command = {
  name: 'run',
  usage: '[--config <path>] [--listen <host:port>] [--demo]',
  short: 'Serves the configuration locally on workerd',
  long: "Adapts and validates the config, then serves it with the Workers runtime (workerd) on the site's port, or on --listen. ADMIN_TOKEN and METRICS_TOKEN come from the environment or ./.dev.vars. --demo also starts the demo upstreams the default Caddyfile proxies to (127.0.0.1:9001-9003).",
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file (default ./Caddyfile)' },
    { name: 'adapter', short: 'a', kind: 'string', help: 'Name of config adapter (caddyfile)' },
    {
      name: 'listen',
      short: 'l',
      kind: 'string',
      help: 'Address to listen on, host:port (default: the site address port on 127.0.0.1)',
    },
    { name: 'demo', kind: 'bool', help: 'Start the demo upstreams on 127.0.0.1:9001-9003' },
  ],
  async run(args, ctx) {
    const path = configPath(args.strings.get('config'), ctx);
    const loaded = await loadConfig(path, chooseAdapter(path, args.strings.get('adapter')), ctx);
    for (const w of loaded.warnings) ctx.err(warningLine(w));
    if (loaded.ignored.length) ctx.err(ignoredLine(loaded.ignored));
    let ports: number[];
    try {
      ports = compileConfig(loaded.config).ports;
    } catch (e) {
      throw new CliError(`${path}: ${(e as Error).message}`);
    }
    const flag = args.strings.get('listen');
    const listen = parseListen(flag ?? `127.0.0.1:${ports[0] ?? 8080}`);
    // `run` has always meant loopback for `:port`; `*:port` asks for every interface.
    if (listen.host === undefined && !flag?.startsWith('*')) listen.host = '127.0.0.1';
    if (ports.length > 1)
      ctx.err(
        `gatehouse: the config has servers on ports ${ports.join(', ')}; serving port ${listen.port} (use --listen to choose)\n`,
      );

    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-run-'));
    const sockets = privateSocketDir();
    const removeDirs = () => {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(sockets.dir, { recursive: true, force: true });
    };
    let capnpPath: string;
    let demo: Server[] = [];
    try {
      capnpPath = buildLocalRuntime({
        outDir: resolve(ctx.cwd, '.gatehouse/run'),
        dataDir,
        cwd: ctx.cwd,
        workerdAddress: `unix:${sockets.socket}`,
        config: loaded.config,
        secrets: localSecrets(ctx.cwd, ctx.env),
        configPath: path,
      });
      if (args.bools.has('demo')) demo = await startDemoUpstreams();
    } catch (e) {
      removeDirs();
      throw e instanceof CliError ? e : new CliError(`cannot start the demo upstreams: ${(e as Error).message}`);
    }
    if (demo.length) ctx.err('gatehouse: demo upstreams on 127.0.0.1:9001, :9002, :9003\n');
    ctx.err(`gatehouse: serving ${path}\n`);
    return serveLocalRuntime({
      capnpPath,
      socket: sockets.socket,
      listen,
      err: ctx.err,
      logFiles: logFileSpecs(loaded.config),
      cleanup: async () => {
        for (const s of demo) s.closeAllConnections();
        await Promise.all(demo.map((s) => new Promise((r) => s.close(r))));
        removeDirs();
      },
    });
  },
};
