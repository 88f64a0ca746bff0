import { mkdtempSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFront, type Front } from '../../src/cli/front/server.ts';

// The front's forwarding, against a stand-in for workerd on a unix socket: streaming both ways, keep-alive,
// upgrades, header case, and failures that must not look like complete responses.

let upstream: Server;
let front: Front;
let port: number;
const hooks = new Map<string, (req: IncomingMessage, res: import('node:http').ServerResponse) => void>();

beforeAll(async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'gatehouse-front-unit-')), 'w.sock');
  upstream = createServer((req, res) => hooks.get(req.url!)!(req, res));
  upstream.on('upgrade', (req, sock) => {
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
    sock.pipe(sock); // echo
  });
  await new Promise<void>((r) => upstream.listen(socket, r));
  front = createFront(socket);
  await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
  port = (front.server.address() as AddressInfo).port;
});

afterAll(() => {
  front.close();
  upstream.closeAllConnections();
  upstream.close();
});

const until = (cond: () => boolean) =>
  new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (!cond()) return;
      clearInterval(t);
      resolve();
    }, 5);
  });

describe('the front', () => {
  it('sends the raw fields in order and case, with CF-Connecting-IP replaced by the peer', async () => {
    let raw: string[] = [];
    hooks.set('/fields', (req, res) => {
      raw = req.rawHeaders;
      res.writeHead(200, ['X-Upstream-Case', 'Kept']);
      res.end('ok');
    });
    const res = await fetchRaw(
      'GET /fields HTTP/1.1\r\nHost: a.test\r\nX-MiXeD: 1\r\ncf-connecting-ip: 6.6.6.6\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    );
    // Connection is the front's own, for its pooled connection to workerd; the client's is not passed on.
    expect(raw).toEqual([
      'Host',
      'a.test',
      'X-MiXeD',
      '1',
      'Accept',
      '*/*',
      'CF-Connecting-IP',
      '127.0.0.1',
      'Connection',
      'keep-alive',
    ]);
    expect(res).toContain('X-Upstream-Case: Kept\r\n');
  });

  it('streams the request body and the response body without waiting for either end', async () => {
    let got = '';
    let upstreamRes: import('node:http').ServerResponse | undefined;
    hooks.set('/stream', (req, res) => {
      req.on('data', (d) => (got += d));
      upstreamRes = res;
      res.writeHead(200);
      res.write('first;');
      req.on('end', () => res.end('last'));
    });
    const agent = new Agent({ keepAlive: false });
    const req = request({ port, path: '/stream', method: 'POST', agent, headers: { Host: 'a.test' } });
    req.write('part1;');
    const res = await new Promise<IncomingMessage>((r) => req.on('response', r));
    let body = '';
    res.on('data', (d) => (body += d));
    await until(() => got === 'part1;' && body === 'first;'); // both halves arrived while both sides are open
    expect(upstreamRes!.writableEnded).toBe(false);
    req.end('part2');
    await new Promise((r) => res.on('end', r));
    expect(got).toBe('part1;part2');
    expect(body).toBe('first;last');
  });

  it('keeps the client connection alive across requests', async () => {
    hooks.set('/ka', (_req, res) => res.end('ka'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        request({ port, path: '/ka', agent, headers: { Host: 'a.test' } }, (res) => {
          ports.add(res.socket.localPort!);
          res.resume().on('end', resolve);
        }).end();
      });
    }
    agent.destroy();
    expect(ports.size).toBe(1);
  });

  it('cuts the client connection when the upstream fails mid-body, instead of ending the response', async () => {
    hooks.set('/cut', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('ten bytes!');
      setTimeout(() => res.socket!.destroy(), 50);
    });
    const raw = await fetchRaw('GET /cut HTTP/1.1\r\nHost: a.test\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    expect(raw.endsWith('ten bytes!')).toBe(true); // the connection closed short of Content-Length
    hooks.set('/cut-chunked', (_req, res) => {
      res.writeHead(200);
      res.write('partial');
      setTimeout(() => res.socket!.destroy(), 50);
    });
    const chunked = await fetchRaw('GET /cut-chunked HTTP/1.1\r\nHost: a.test\r\n\r\n');
    expect(chunked).toContain('partial');
    expect(chunked).not.toContain('\r\n0\r\n\r\n'); // no last chunk: the client sees a truncated body
  });

  it('aborts the upstream request when the client goes away mid-body', async () => {
    let outcome = '';
    hooks.set('/abort', (req) => {
      req.on('data', () => {});
      req.on('close', () => (outcome = req.complete ? 'complete' : 'aborted'));
    });
    const s = connect(port, '127.0.0.1');
    s.write('POST /abort HTTP/1.1\r\nHost: a.test\r\nContent-Length: 100\r\n\r\nonly some');
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    await until(() => outcome !== '');
    expect(outcome).toBe('aborted');
  });

  it('pipes an upgraded connection both ways', async () => {
    const s = connect(port, '127.0.0.1');
    s.write('GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    let got = '';
    s.on('data', (d) => (got += d));
    await until(() => got.includes('\r\n\r\n'));
    expect(got).toMatch(/^HTTP\/1\.1 101 /);
    s.write('ping');
    await until(() => got.endsWith('ping'));
    s.destroy();
  });

  it('answers a bad Host on an upgrade request itself', async () => {
    const raw = await fetchRaw('GET /ws HTTP/1.1\r\nHost: a/b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
  });
});

/** Raw bytes in, everything the front sends until it closes (or 2 s) out. */
function fetchRaw(raw: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.setTimeout(2000, () => s.destroy());
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', () => {});
    s.write(raw);
  });
}
