import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, freePort } from './local-runtime-helpers.ts';

// `gatehouse selfhost` over raw sockets: a request body over `request_body max_size` must never reach the upstream
// as a complete request, and an upstream response body that fails midway must not reach the client as a complete
// one. The upstream is a raw TCP server that records, per connection, whether the request it got was complete.

interface Received {
  path: string;
  complete: boolean;
  bodyBytes: number;
}

/** Whether `raw` holds a whole HTTP/1.1 request: all Content-Length bytes, or chunked up to the final 0-chunk. */
function parseRequest(raw: string): Received | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = raw.slice(0, end).toLowerCase();
  const body = raw.slice(end + 4);
  const path = head.split(' ')[1] ?? '';
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) {
    let at = 0;
    let bytes = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) return { path, complete: false, bodyBytes: bytes };
      const size = parseInt(body.slice(at, eol), 16);
      if (size === 0) return { path, complete: body.startsWith('\r\n', eol + 2), bodyBytes: bytes };
      if (body.length < eol + 2 + size + 2)
        return { path, complete: false, bodyBytes: bytes + Math.max(0, body.length - eol - 2) };
      bytes += size;
      at = eol + 2 + size + 2;
    }
  }
  const want = length ? Number(length[1]) : 0;
  return { path, complete: body.length >= want, bodyBytes: Math.min(body.length, want) };
}

/** The upstream: answers a complete request with 200; `/broken` sends 5 bytes of a chunked body and resets. */
function startUpstream(): Promise<{ server: Server; port: number; seen: Map<string, Received> }> {
  const seen = new Map<string, Received>();
  const server = createServer((s: Socket) => {
    let raw = '';
    let answered = false;
    s.on('error', () => {});
    s.on('data', (d) => {
      raw += d.toString('latin1');
      const r = parseRequest(raw);
      if (!r) return;
      seen.set(r.path, r);
      if (answered) return;
      if (r.path.endsWith('/broken')) {
        answered = true;
        s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nfirst\r\n');
        setTimeout(() => s.resetAndDestroy(), 100);
      } else if (r.complete) {
        answered = true;
        s.end(`HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nreceived`);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, seen })),
  );
}

/**
 * Writes `parts` one at a time (a pause between each), then reads until the server closes or 3 s pass; `cut` drops
 * the connection right after the last part instead, a client that goes away mid-body.
 */
function exchange(port: number, parts: string[], cut = false): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    void (async () => {
      for (const p of parts) {
        if (s.destroyed) return;
        s.write(p);
        await new Promise((r) => setTimeout(r, 30));
      }
      if (cut) s.destroy();
    })();
  });
}

const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;

describe('gatehouse selfhost: bodies that fail are never passed on as complete', () => {
  let port = 0;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let child: ReturnType<typeof spawn> | undefined;
  let log = '';

  beforeAll(async () => {
    upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-body-limit-'));
    const up = `127.0.0.1:${upstream.port}`;
    writeFileSync(
      join(dir, 'Caddyfile'),
      `:8080 {\n\thandle /limited/* {\n\t\trequest_body {\n\t\t\tmax_size 10\n\t\t}\n\t\treverse_proxy ${up}\n\t}\n` +
        `\thandle /counted/* {\n\t\treverse_proxy ${up} {\n\t\t\tlb_policy least_conn\n\t\t}\n\t}\n\treverse_proxy ${up}\n}\n`,
    );
    port = await freePort();
    child = spawn(process.execPath, [bin, 'selfhost', '--listen', `127.0.0.1:${port}`], { cwd: dir, stdio: 'pipe' });
    child.stderr?.on('data', (d) => (log += d));
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      await new Promise((r) => setTimeout(r, 500));
      ready = await fetch(`http://127.0.0.1:${port}/limited/ok`, { method: 'POST', body: 'short' }).then(
        (r) => r.ok,
        () => false,
      );
    }
    if (!ready) throw new Error(`selfhost did not start:\n${log}`);
  }, 90_000);

  afterAll(() => {
    child?.kill('SIGINT');
    upstream?.server.close();
  });

  const head = (path: string, field: string) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${field}\r\n\r\n`;

  it('a body within max_size reaches the upstream whole', async () => {
    const out = await exchange(port, [
      head('/limited/within', 'Transfer-Encoding: chunked'),
      chunk('aaaaa'),
      chunk('bbbbb'),
      '0\r\n\r\n',
    ]);
    expect(out).toMatch(/^HTTP\/1\.1 200 /);
    expect(upstream.seen.get('/limited/within')).toEqual({ path: '/limited/within', complete: true, bodyBytes: 10 });
  });

  it('a chunked body over max_size, sent in several writes: 413, and the upstream never gets a complete request', async () => {
    const out = await exchange(port, [
      head('/limited/chunked', 'Transfer-Encoding: chunked'),
      chunk('aaaaa'),
      chunk('bbbbb'),
      chunk('ccccc'),
      '0\r\n\r\n',
    ]);
    expect(out).toMatch(/^HTTP\/1\.1 413 /);
    expect(upstream.seen.get('/limited/chunked')?.complete ?? false).toBe(false);
  });

  it('a Content-Length body over max_size, sent in several writes: 502 as Caddy, and no complete request upstream', async () => {
    const out = await exchange(port, [
      head('/limited/length', 'Content-Length: 1000'),
      'a'.repeat(300),
      'b'.repeat(300),
      'c'.repeat(400),
    ]);
    expect(out).toMatch(/^HTTP\/1\.1 502 /);
    expect(upstream.seen.get('/limited/length')?.complete ?? false).toBe(false);
  });

  it('a client that goes away mid-body leaves the upstream request unfinished', async () => {
    await exchange(port, [head('/plain/cut', 'Transfer-Encoding: chunked'), chunk('aaaaa'), chunk('bbbbb')], true);
    await new Promise((r) => setTimeout(r, 300));
    // The upstream got the request and part of its body (so it was streamed to it), but never its end.
    expect(upstream.seen.get('/plain/cut')).toMatchObject({ complete: false });
  });

  it('an upstream response body that fails midway is not completed to the client', async () => {
    for (const path of ['/broken', '/counted/broken']) {
      const out = await exchange(port, [`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`]);
      expect(out, path).toMatch(/^HTTP\/1\.1 200 /);
      expect(out, path).toContain('first');
      // The final 0-chunk is what would tell the client the body ended well.
      expect(out, path).not.toMatch(/\r\n0\r\n\r\n$/);
    }
  });
});
