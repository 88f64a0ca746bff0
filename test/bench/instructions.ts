import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, helloServer, workerdBin, type WorkerdConfig } from './servers.ts';

// Instructions workerd executes per proxied request, counted by callgrind: unlike requests/s and CPU time on a shared
// 2-vCPU VM (20-40 µs per request apart between runs of the same build), the same build gives the same count to
// within about 0.5%. The count is of this setup, not an absolute: one connection instead of 4 adds about 4% (fewer
// requests share an event-loop turn).
// workerd starts under `valgrind --tool=callgrind --instr-atstart=no`, takes `warm` requests uninstrumented (JIT
// tiers, connection pools), then counts exactly `n` requests between `callgrind_control -i on` and `-i off`.
// V8's optimizing compiles run on a background thread at times that depend on the scheduler, which moved Gatehouse's
// count by 10% between runs; --no-concurrent-recompilation runs them on the main thread at the same call counts.

export const V8_FLAGS = ['--no-concurrent-recompilation'];

export interface InstructionContender {
  name: string;
  /** The workerd config that serves the benchmark request on `port`, proxying to `upstreams` (not started). */
  config(port: number, upstreams: number[]): WorkerdConfig;
}

export type InstructionResult = { name: string; kIrPerRequest: number } | { name: string; skipped: string };

export interface InstructionOptions {
  warm: number;
  n: number;
  /** Keep-alive connections the requests take turns on. */
  concurrency?: number;
  /** How many upstream ports to start (each a node:http server answering `hello from <port>`). */
  upstreams?: number;
}

const PATH = '/bench/path?x=1';

export function haveCallgrind(): boolean {
  return (
    spawnSync('sh', ['-c', 'command -v valgrind && command -v callgrind_control'], { encoding: 'utf8' }).status === 0
  );
}

interface Load {
  agent: Agent;
  port: number;
  concurrency: number;
}

function get({ agent, port }: Load): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Exactly `n` requests, every one of which must be a 200 from the upstream: a broken setup must not look cheap. */
async function send(load: Load, n: number): Promise<void> {
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const { status, body } = await get(load);
      if (status !== 200 || !body.startsWith('hello from'))
        throw new Error(`port ${load.port}: ${status} ${body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: load.concurrency }, worker));
}

async function waitUntilAnswering(load: Load, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`workerd under valgrind exited (${child.exitCode}):\n${log()}`);
    if (
      await get(load).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`workerd under valgrind did not answer on ${load.port}:\n${log()}`);
}

/** The config with v8Flags set (a top-level Config field), written beside it so its embeds still resolve. */
function withV8Flags(capnp: string): string {
  const text = readFileSync(capnp, 'utf8');
  const flags = `  v8Flags = [${V8_FLAGS.map((f) => JSON.stringify(f)).join(', ')}],\n  sockets = `;
  if (!text.includes('\n  sockets = ')) throw new Error(`${capnp}: no top-level sockets field to put v8Flags before`);
  const out = join(dirname(capnp), 'workerd-callgrind.capnp');
  writeFileSync(out, text.replace('\n  sockets = ', `\n${flags}`));
  return out;
}

function callgrindControl(pid: number, ...args: string[]): void {
  const r = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8', timeout: 60_000 });
  // It exits 0 when it fails too (no such callgrind run, say), saying Error: on stdout.
  if (r.status !== 0 || /^Error/m.test(r.stdout + r.stderr)) {
    throw new Error(`callgrind_control ${args.join(' ')} ${pid} failed: ${r.stdout}${r.stderr}`);
  }
}

/** Sum of the `totals:` (instructions) of every dump callgrind wrote: one per thread and dump. */
function totalInstructions(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const m = /^totals:\s+(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
    if (m) total += Number(m[1]);
  }
  return total;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function count(contender: InstructionContender, upstreams: number[], opts: InstructionOptions): Promise<number> {
  const port = await freePort();
  const capnp = withV8Flags(contender.config(port, upstreams).capnp);
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-bench-callgrind-'));
  const args = ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(out, 'cg.out')}`];
  const child = spawn('valgrind', [...args, workerdBin(), 'serve', capnp, '--experimental'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const concurrency = opts.concurrency ?? 4;
  const load: Load = { agent: new Agent({ keepAlive: true, maxSockets: concurrency }), port, concurrency };
  try {
    await waitUntilAnswering(load, child, () => log);
    await send(load, opts.warm);
    callgrindControl(child.pid!, '-i', 'on');
    await send(load, opts.n);
    callgrindControl(child.pid!, '-i', 'off');
    callgrindControl(child.pid!, '-d');
  } finally {
    load.agent.destroy();
    await stop(child);
  }
  const total = totalInstructions(out);
  if (!(total > 0)) throw new Error(`${contender.name}: callgrind counted nothing (${out}):\n${log}`);
  return total / opts.n / 1000;
}

/** kIr (thousands of instructions) workerd executes per request, for each contender in turn. */
export async function instructionsPerRequest(
  contenders: InstructionContender[],
  opts: InstructionOptions,
): Promise<InstructionResult[]> {
  if (!haveCallgrind()) {
    return contenders.map((c) => ({
      name: c.name,
      skipped: 'valgrind/callgrind_control not installed (apt-get install -y valgrind)',
    }));
  }
  // The upstreams are Node, not Caddy, so the count does not depend on a Caddy being installed.
  const ports = await Promise.all(Array.from({ length: opts.upstreams ?? 3 }, () => freePort()));
  const servers = await Promise.all(ports.map(helloServer));
  try {
    const results: InstructionResult[] = [];
    for (const c of contenders) results.push({ name: c.name, kIrPerRequest: await count(c, ports, opts) });
    return results;
  } finally {
    for (const s of servers) s.close();
  }
}
