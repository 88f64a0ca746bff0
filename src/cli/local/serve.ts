import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../command.ts';
import { listenUrl, type ListenAddress } from '../front/listen-address.ts';
import { createFront } from '../front/server.ts';
import { workerdBin } from '../wrangler.ts';
import type { FileWriterSpec } from '../../logging/writers.ts';
import { routeLogLines } from './log-files.ts';

/**
 * A private directory (0700, from mkdtemp) for workerd's unix socket: only this user, and so only the front, can
 * connect to workerd, which trusts the CF-Connecting-IP the front sets.
 */
export function privateSocketDir(): { dir: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-'));
  return { dir, socket: join(dir, 'workerd.sock') };
}

export interface ServeOptions {
  capnpPath: string;
  socket: string;
  listen: ListenAddress;
  err(text: string): void;
  /** The config's `file` log writers: the Worker's lines for them are routed from workerd's stdout to the files. */
  logFiles?: Map<string, FileWriterSpec>;
  /** Runs once everything has stopped (temporary directories, demo upstreams). */
  cleanup(): void | Promise<void>;
}

/**
 * Starts workerd on the socket, waits until it accepts connections, then opens the front on the user's address.
 * One SIGINT or SIGTERM stops both; so does workerd exiting on its own. Resolves with the exit code.
 */
export async function serveLocalRuntime(o: ServeOptions): Promise<number> {
  const workerd = workerdBin();
  const child = spawn(workerd, ['serve', o.capnpPath, '--experimental'], { stdio: ['ignore', 'pipe', 'inherit'] });
  routeLogLines(child.stdout!, process.stdout, o.logFiles ?? new Map(), o.err);
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1)));
    child.on('error', () => resolve(1));
  });
  let stopping = false;
  const front = createFront(o.socket);
  const stop = () => {
    stopping = true;
    front.close();
    child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await Promise.race([
      waitForSocket(o.socket, child),
      exited.then(() => Promise.reject(new CliError('workerd exited before it was ready'))),
    ]);
    if (!stopping) {
      await new Promise<void>((resolve, reject) => {
        front.server.once('error', reject);
        front.server.listen(o.listen.port, o.listen.host, () => resolve());
      });
      o.err(`gatehouse: listening on ${listenUrl(front.server.address() as AddressInfo)}\n`);
    }
  } catch (e) {
    stop();
    await exited;
    await o.cleanup();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    throw e instanceof CliError
      ? e
      : new CliError(`cannot listen on ${o.listen.host ?? '*'}:${o.listen.port}: ${(e as Error).message}`);
  }
  const code = await exited;
  front.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await o.cleanup();
  return stopping ? 0 : code;
}

/** Resolves once something accepts on the socket (workerd has loaded the Worker). */
async function waitForSocket(path: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(path, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError('workerd did not open its socket within 60 s');
}
