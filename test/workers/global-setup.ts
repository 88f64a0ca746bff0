import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { startBlackhole } from './blackhole.ts';
import { startBodyRecorder } from './body-recorder.ts';

// Real loopback upstreams for the reverse_proxy tests (run in Node before the workerd pool starts). Each echo server
// answers with what it received, so tests observe exactly what the proxy sent.

export interface ProxyTestUpstreams {
  /** Three echo servers. */
  echo: number[];
  /** A port nothing listens on (connection refused). */
  refused: number;
  /**
   * An echo server (id "h") whose `/health?key=K` answers the status last set by `/control?key=K&status=N`
   * (200 until set), so each test flips its own key.
   */
  flip: number;
  /** A port whose TCP handshake never completes (blackhole.ts): connects to it hang, the dial-timeout case. */
  blackhole: number;
  /** An upstream that records whether each request body arrived complete (body-recorder.ts). */
  bodyRecorder: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    proxyUpstreams: ProxyTestUpstreams;
  }
}

function echo(id: string) {
  const flaky = new Set<string>();
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // /flaky?key=K resets the connection the first time K is seen, then answers normally.
    const flakyKey = url.pathname === '/flaky' ? (url.searchParams.get('key') ?? '') : undefined;
    if (url.pathname === '/reset' || (flakyKey !== undefined && !flaky.has(flakyKey))) {
      if (flakyKey !== undefined) flaky.add(flakyKey);
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const delay = Number(url.searchParams.get('delay') ?? 0);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const status = Number(url.searchParams.get('status') ?? 200);
    const extra: Record<string, string> = {};
    for (const h of url.searchParams.getAll('h')) {
      const i = h.indexOf(':');
      extra[h.slice(0, i)] = h.slice(i + 1);
    }
    if (url.pathname === '/stream') {
      // Sends a first chunk, then waits for the test's signal (a second request to /release) to finish.
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': id, ...extra });
      res.write('first;');
      const wait = Number(url.searchParams.get('wait') ?? 300);
      setTimeout(() => res.end('second'), wait);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': id, server: 'echo', ...extra });
    res.end(
      JSON.stringify({ id, method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body }),
    );
  };
}

function flippable() {
  const statuses = new Map<string, number>();
  const rest = echo('h');
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.searchParams.get('key') ?? '';
    if (url.pathname === '/control') {
      statuses.set(key, Number(url.searchParams.get('status') ?? 200));
      res.writeHead(204).end();
    } else if (url.pathname === '/health') {
      res.writeHead(statuses.get(key) ?? 200, { 'content-type': 'text/plain' }).end('health');
    } else await rest(req, res);
  };
}

const upgraded = new Set<Socket>();

/** Completes a WebSocket handshake and sends one text frame with what it saw, then echoes nothing more. */
function upgrade(id: string) {
  return (req: IncomingMessage, socket: Socket) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Upstream: ${id}\r\n\r\n`,
    );
    const payload = Buffer.from(`hello from ${id} ${req.url}`);
    socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
    socket.on('error', () => {});
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
  };
}

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

export default async function setup({
  provide,
}: {
  provide: (key: 'proxyUpstreams', value: ProxyTestUpstreams) => void;
}) {
  const servers = ['a', 'b', 'c'].map((id) => createServer(echo(id)).on('upgrade', upgrade(id)));
  const echoPorts = await Promise.all(servers.map(listen));
  const flipServer = createServer(flippable());
  servers.push(flipServer);
  const flip = await listen(flipServer);
  const probe = createServer();
  const refused = await listen(probe);
  await new Promise((r) => probe.close(r));
  const blackhole = await startBlackhole();
  const bodyRecorder = await startBodyRecorder();
  provide('proxyUpstreams', {
    echo: echoPorts,
    refused,
    flip,
    blackhole: blackhole.port,
    bodyRecorder: bodyRecorder.port,
  });
  return async () => {
    blackhole.close();
    await bodyRecorder.close();
    for (const s of upgraded) s.destroy();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  };
}
