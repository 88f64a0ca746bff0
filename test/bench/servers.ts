import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compatibilityOf, selfhostConfig } from '../../src/cli/selfhost-config.ts';

// Servers the HTTP benchmark measures, all on loopback: Gatehouse under `workerd serve` (the self-hosted runtime,
// built by `gatehouse selfhost --build-only`), a plain pass-through Worker on the same workerd, and Caddy.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/gatehouse.js');

export interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function workerdBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('workerd/package.json')), 'bin', 'workerd');
}

async function waitForPort(port: number, child: ChildProcess, what: string, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/__bench_probe__`).then(
      async (r) => {
        await r.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer on ${port}:\n${log()}`);
}

function startProcess(cmd: string, args: string[], port: number, what: string, cwd?: string): Promise<Running> {
  const child = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  let log = '';
  child.stdout?.on('data', (d) => (log = (log + d).slice(-4000)));
  child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
    });
  return waitForPort(port, child, what, () => log).then(
    () => ({ port, pid: child.pid!, stop }),
    async (e) => {
      await stop();
      throw e;
    },
  );
}

/** A workerd config on disk (its modules beside it), ready for `workerd serve`. */
export interface WorkerdConfig {
  capnp: string;
}

/** Gatehouse for `caddyfile`, listening on `port`, built exactly as `gatehouse selfhost` builds it (not started). */
export function buildGatehouse(caddyfile: string, port: number): WorkerdConfig & { bundleDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  const build = spawnSync(process.execPath, [BIN, 'selfhost', '--build-only', '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`gatehouse selfhost --build-only failed:\n${build.stderr}`);
  const bundleDir = join(dir, '.gatehouse/selfhost');
  return { capnp: join(bundleDir, 'workerd.capnp'), bundleDir };
}

/** Gatehouse serving `caddyfile` under workerd. */
export async function startGatehouse(caddyfile: string, port: number): Promise<Running & { bundleDir: string }> {
  const { capnp, bundleDir } = buildGatehouse(caddyfile, port);
  const running = await serveWorkerd(capnp, port, 'gatehouse (workerd)');
  return { ...running, bundleDir };
}

function serveWorkerd(capnp: string, port: number, what: string): Promise<Running> {
  return startProcess(workerdBin(), ['serve', capnp, '--experimental'], port, what);
}

/**
 * An upstream answering `hello from <port>` (where Caddy is missing, and for the instruction count). Its idle
 * connections stay open: workerd's pooled ones must not close while callgrind_control pauses the load (a reconnect
 * would be counted, or race a request into a 502).
 */
export function helloServer(port: number): Promise<Server> {
  const srv = createHttpServer((_req, res) => res.end(`hello from ${port}\n`));
  srv.keepAliveTimeout = 0;
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

/** The physical limit: a Worker that only forwards each request to the upstream and returns its response. */
export function passThroughWorker(upstreamPort: number): string {
  return `export default {
  fetch(request) {
    const url = new URL(request.url);
    url.host = '127.0.0.1:${upstreamPort}';
    return fetch(new Request(url, request));
  },
};
`;
}

export function startPassThrough(upstreamPort: number, port: number): Promise<Running> {
  return startWorker(passThroughWorker(upstreamPort), port, 'pass-through worker');
}

/** The counterpart of Gatehouse's `respond`: a Worker that answers every request with a fixed Response. */
export function startFixedResponse(port: number): Promise<Running> {
  return startWorker(
    "export default { fetch() { return new Response('hello from a worker'); } };\n",
    port,
    'fixed-response worker',
  );
}

/**
 * A reference point between (a) and Gatehouse: a hand-written Worker doing only what Caddy puts on the wire for the
 * minimal Caddyfile (Caddy's hop-by-hop fields removed both ways, X-Forwarded-*, Via both ways, the one response
 * header), in the cheapest form measured: native Headers copies, and the upstream Response as the init of the client's.
 */
export function handWrittenGatewayWorker(upstreamPort: number): string {
  return `const HOP = ['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'alt-svc'];
function dropHop(h) {
  for (const name of HOP) if (h.has(name)) h.delete(name);
}
export default {
  async fetch(request) {
    const url = new URL(request.url);
    url.host = '127.0.0.1:${upstreamPort}';
    const headers = new Headers(request.headers);
    dropHop(headers);
    headers.set('x-forwarded-for', '127.0.0.1');
    headers.set('x-forwarded-proto', 'http');
    headers.set('x-forwarded-host', request.headers.get('host') ?? '');
    headers.append('via', '1.1 Caddy');
    const res = await fetch(url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    const out = new Response(res.body, res);
    const outHeaders = out.headers;
    dropHop(outHeaders);
    outHeaders.append('via', '1.1 Caddy');
    outHeaders.append('x-edge-served', 'Caddy-WASM');
    return out;
  },
};
`;
}

export function startHandWrittenGateway(upstreamPort: number, port: number): Promise<Running> {
  return startWorker(handWrittenGatewayWorker(upstreamPort), port, 'hand-written gateway worker');
}

/** A one-module Worker (`source`) listening on `port`, with the compatibility settings of wrangler.toml (not started). */
export function workerConfig(source: string, port: number): WorkerdConfig {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-worker-'));
  writeFileSync(join(dir, 'index.js'), source);
  const wrangler = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const capnp = selfhostConfig({
    modules: [{ name: 'index.js', kind: 'esModule' }],
    dataDir: join(dir, 'data'),
    listen: `127.0.0.1:${port}`,
    ...compatibilityOf(wrangler),
    vars: {},
    durableObjects: [],
  });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'workerd.capnp'), capnp);
  return { capnp: join(dir, 'workerd.capnp') };
}

export async function startWorker(source: string, port: number, what: string): Promise<Running> {
  return serveWorkerd(workerConfig(source, port).capnp, port, what);
}

/** `caddy run` on a Caddyfile (written to a temp dir), answering on `port`. */
export async function startCaddy(caddy: string, caddyfile: string, port: number): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-caddy-'));
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  return startProcess(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], port, `caddy run ${file}`, dir);
}

/** The Caddy binary on PATH, if any (the behaviour oracle; `apt-get install -y caddy`). */
export function findCaddy(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v caddy'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Resident memory of a process now, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
