import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exited, freePort, rawRequest, startGatehouse, type Started } from './local-runtime-helpers.ts';

// Hostile HTTP against `gatehouse selfhost` over raw sockets: the front must answer malformed requests itself
// (Caddy's 400, never a 500 and never another route), and the Worker must see the real peer, not a claimed one.

let upstream: Server;
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
let gatehouse: Started;
let port: number;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end(`upstream saw ${req.url}`);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-front-'));
  // Password "s3cret".
  writeFileSync(
    join(dir, 'Caddyfile'),
    `:8080 {
	handle /admin* {
		basic_auth {
			admin $2b$04$QrbUMZ6SakeQcXIpuLSJFOh8RJD4k0qVoXxUC3D2ZlrJX.sCWcx9G
		}
		respond "admin area"
	}
	handle_path /api/* {
		reverse_proxy 127.0.0.1:${upstreamPort}
	}
	handle /whoami {
		respond "remote_host={remote_host} client_ip={client_ip}"
	}
}
`,
  );
  port = await freePort();
  gatehouse = await startGatehouse(['selfhost', '--listen', `127.0.0.1:${port}`], dir);
}, 60_000);

afterAll(async () => {
  if (gatehouse) {
    gatehouse.child.kill('SIGINT');
    await exited(gatehouse.child);
  }
  upstream?.close();
});

const get = (target: string, fields: string) => `GET ${target} HTTP/1.1\r\n${fields}Connection: close\r\n\r\n`;

describe('the selfhost front against hostile requests', () => {
  it('answers a Host that would move the path with 400, and never reaches the proxied route', async () => {
    const hosts = [
      '127.0.0.1/api',
      '127.0.0.1\\api',
      `127.0.0.1:${port}/api`,
      'x?',
      'a b',
      'a:99999',
      '[::1',
      'x#y',
      'u@127.0.0.1',
    ];
    for (const host of hosts) {
      const r = await rawRequest(port, get('/admin', `Host: ${host}\r\n`));
      expect({ host, status: r.status, body: r.body }).toEqual({
        host,
        status: 400,
        body: '400 Bad Request: malformed Host header',
      });
    }
    expect(seen).toEqual([]);
  });

  it("answers two Host fields, a missing Host and CONNECT with 400, as Caddy's server does (never 500)", async () => {
    expect((await rawRequest(port, get('/api/x', 'Host: a\r\nHost: b\r\n'))).status).toBe(400);
    expect(await rawRequest(port, get('/api/x', ''))).toMatchObject({
      status: 400,
      body: '400 Bad Request: missing required Host header',
    });
    expect((await rawRequest(port, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n')).status).toBe(400);
    expect(await rawRequest(port, get('http://127.0.0.1/api/x', ''))).toMatchObject({ status: 400 });
    expect(seen).toEqual([]);
  });

  it('routes an absolute-form target by its own authority and path, as Caddy does', async () => {
    const r = await rawRequest(port, get('http://other.example/api/abs?q=1', 'Host: 127.0.0.1\r\n'));
    expect(r).toMatchObject({ status: 200, body: 'upstream saw /abs?q=1' });
    expect(seen.pop()?.headers['x-forwarded-host']).toBe('other.example');
  });

  it('still asks for the password on /admin', async () => {
    expect((await rawRequest(port, get('/admin', 'Host: 127.0.0.1\r\n'))).status).toBe(401);
    const auth = Buffer.from('admin:s3cret').toString('base64');
    expect(await rawRequest(port, get('/admin', `Host: 127.0.0.1\r\nAuthorization: Basic ${auth}\r\n`))).toMatchObject({
      status: 200,
      body: 'admin area',
    });
  });

  it('gives the Worker the socket peer as the client address, whatever CF-Connecting-IP the client sends', async () => {
    const spoof =
      'Host: 127.0.0.1\r\nCF-Connecting-IP: 203.0.113.9\r\ncf-connecting-ip: 198.51.100.7\r\nX-Forwarded-For: 192.0.2.1\r\n';
    expect(await rawRequest(port, get('/whoami', spoof))).toMatchObject({
      status: 200,
      body: 'remote_host=127.0.0.1 client_ip=127.0.0.1',
    });
    expect(await rawRequest(port, get('/api/xff', spoof))).toMatchObject({ status: 200, body: 'upstream saw /xff' });
    const headers = seen.pop()!.headers;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['cf-connecting-ip'] ?? '').not.toMatch(/203\.0\.113\.9|198\.51\.100\.7/);
  });

  it('does not stop serving after all that', async () => {
    expect(await rawRequest(port, get('/api/ok', 'Host: localhost\r\n'))).toMatchObject({
      status: 200,
      body: 'upstream saw /ok',
    });
    expect(gatehouse.log()).not.toMatch(/Uncaught|internal error/i);
  });
});
