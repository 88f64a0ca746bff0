import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

// A loopback port whose TCP handshake never completes: what a dial timeout is made for. A child process listens with
// a backlog of 1 and then blocks its thread (so it never accepts); the parent fills the accept queue with
// connections that do complete, after which Linux drops every further SYN and a connect stays pending (the client
// retransmits its SYN for about two minutes). A non-routable address (10.255.255.1, TEST-NET) is no substitute:
// what it does depends on the network (in this sandbox 10.255.255.1 even connects).

export interface Blackhole {
  readonly port: number;
  close(): void;
}

const CHILD = `
const net = require('node:net');
const fs = require('node:fs');
const parent = process.ppid;
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  fs.writeSync(1, server.address().port + '\\n');
  // Block the thread: the event loop never runs again, so nothing is ever accepted. Wake every second to exit
  // when the parent is gone.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    Atomics.wait(cell, 0, 0, 1000);
    if (process.ppid !== parent) process.exit(0);
  }
});
`;

function attempt(port: number, withinMs: number): Promise<{ socket: Socket; connected: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve({ socket, connected: false }), withinMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, connected: true });
    });
  });
}

export async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`blackhole listener exited (${code})`)));
  });
  const fill: Socket[] = [];
  const close = (): void => {
    for (const s of fill) s.destroy();
    child.kill('SIGKILL');
  };
  for (let i = 0; i < 16; i++) {
    const { socket, connected } = await attempt(port, 250);
    if (!connected) {
      socket.destroy(); // its SYN was dropped: the queue is full
      return { port, close };
    }
    fill.push(socket);
  }
  close();
  throw new Error('blackhole: the accept queue never filled (every connect completed)');
}
