import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileConfig } from '../config/compile.ts';
import { wranglerBin } from './wrangler.ts';
import { CliError, type Command } from './command.ts';
import { startDemoUpstreams } from './demo-upstreams.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { ignoredLine, warningLine } from './log.ts';

/**
 * `gatehouse run`: serves a Caddyfile locally on workerd (the Workers runtime) through `wrangler dev`. The config is
 * adapted here, with the process environment for `{$VAR}`, and handed to the Worker as GATEHOUSE_CONFIG. Durable
 * Object state lives in a fresh temporary directory, so each run starts from the given config as `caddy run` does.
 */
export const runCommand: Command = {
  name: 'run',
  usage: '[--config <path>] [--listen <host:port>] [--demo]',
  short: 'Serves the configuration locally on workerd',
  long: 'Adapts and validates the config, then serves it with the Workers runtime (wrangler dev) on the site\'s port, or on --listen. --demo also starts the demo upstreams the default Caddyfile proxies to (127.0.0.1:9001-9003).',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file (default ./Caddyfile)' },
    { name: 'adapter', short: 'a', kind: 'string', help: 'Name of config adapter (caddyfile)' },
    { name: 'listen', short: 'l', kind: 'string', help: 'Address to listen on, host:port (default: the site address port on 127.0.0.1)' },
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
    const { host, port } = listenAddress(args.strings.get('listen'), ports);
    if (args.bools.has('demo')) {
      await startDemoUpstreams();
      ctx.err('gatehouse: demo upstreams on 127.0.0.1:9001, :9002, :9003\n');
    }
    if (ports.length > 1) ctx.err(`gatehouse: the config has servers on ports ${ports.join(', ')}; serving port ${port} (use --listen to choose)\n`);
    ctx.err(`gatehouse: serving ${path} on http://${host}:${port}\n`);
    return startWorkerd(JSON.stringify(loaded.config), host, port);
  },
};

function listenAddress(flag: string | undefined, ports: number[]): { host: string; port: number } {
  if (flag) {
    const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(flag);
    if (!m) throw new CliError(`--listen must be host:port or :port, got ${flag}`);
    return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
  }
  return { host: '127.0.0.1', port: ports[0] ?? 8080 };
}

function startWorkerd(configJson: string, host: string, port: number): Promise<number> {
  const wrangler = wranglerBin();
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const state = mkdtempSync(join(tmpdir(), 'gatehouse-run-'));
  const child = spawn(
    process.execPath,
    [wrangler, 'dev', '--ip', host, '--port', String(port), '--persist-to', state, '--var', `GATEHOUSE_CONFIG:${configJson}`, '--show-interactive-dev-session=false', '--log-level', 'warn'],
    { cwd: root, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const stop = () => child.kill('SIGINT');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      rmSync(state, { recursive: true, force: true });
      resolve(code ?? 0);
    });
  });
}
