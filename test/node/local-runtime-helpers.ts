import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

// Shared by the tests that start `gatehouse selfhost` / `gatehouse run` as real processes on loopback.

export const bin = new URL('../../bin/gatehouse.js', import.meta.url).pathname;

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  log(): string;
}

/** Starts the CLI and resolves once it prints where it listens. */
export async function startGatehouse(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...env },
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gatehouse did not start:\n${log}`)), 50_000);
    const check = () => {
      if (/listening on http:/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`gatehouse exited:\n${log}`));
    });
  });
  return { child, log: () => log };
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

/** Sends raw bytes and reads until the server closes (or 5 s pass); returns the status code and the body text. */
export function rawRequest(port: number, raw: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        head,
        body: split < 0 ? '' : text.slice(split + 4),
      });
    };
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', () => {});
    socket.write(Buffer.from(raw, 'latin1'));
  });
}
