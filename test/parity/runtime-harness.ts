import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runtime parity harness: one Gatehouse (wrangler dev on workerd) whose config is swapped per sample through the admin
// API, one `caddy run` per sample, and a tiny raw HTTP client so both sides are asked exactly the same thing.

export interface SampleRequest {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Response headers to compare (case-insensitive names); status and body are always compared. */
  compare?: string[];
  /** Compare only whether the connection failed (abort). */
  expectAbort?: boolean;
  /** Wait this long before sending (lets active health checks run on both sides). */
  delayMs?: number;
}

export interface Observed {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** The connection was closed/reset without a complete response. */
  aborted?: boolean;
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One HTTP/1.1 request on a fresh connection (no keep-alive), never throwing: failures become `aborted`. */
export async function send(port: number, req: SampleRequest, timeoutMs = 5000): Promise<Observed> {
  if (req.delayMs) await new Promise((r) => setTimeout(r, req.delayMs));
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Connection: 'close', ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const r = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: h });
        });
        res.on('error', () => resolve({ status: 0, body: '', headers: {}, aborted: true }));
        res.on('aborted', () => resolve({ status: 0, body: '', headers: {}, aborted: true }));
      },
    );
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', () => resolve({ status: 0, body: '', headers: {}, aborted: true }));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

async function waitUntilAnswering(
  port: number,
  child: ChildProcess,
  what: string,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log()}`);
    const r = await send(
      port,
      { name: 'probe', path: '/__parity_probe__', headers: { Host: `127.0.0.1:${port}` } },
      1000,
    );
    if (!r.aborted) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${what} did not answer on :${port} within ${timeoutMs} ms:\n${log()}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
}

export interface Gatehouse {
  port: number;
  load(configJson: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `wrangler dev` once; configs are then swapped through POST /gatehouse-admin/load. */
export async function startGatehouse(): Promise<Gatehouse> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const state = mkdtempSync(join(tmpdir(), 'gatehouse-parity-'));
  const wrangler = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
  let output = '';
  const child = spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--var',
      `ADMIN_TOKEN:${token}`,
      '--var',
      'CONFIG_REFRESH_MS:0',
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const cleanup = async () => {
    await stop(child);
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(port, child, 'wrangler dev', 90_000, () => output.slice(-4000));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    port,
    async load(configJson) {
      const res = await fetch(`http://127.0.0.1:${port}/gatehouse-admin/load`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: configJson,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`gatehouse /load answered ${res.status}: ${text}`);
    },
    stop: cleanup,
  };
}

/** Runs `caddy run` on one Caddyfile with the given env until `stop`. */
export async function startCaddy(
  caddy: string,
  file: string,
  env: Record<string, string>,
  port: number,
): Promise<{ stop(): Promise<void> }> {
  let output = '';
  const child = spawn(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      XDG_DATA_HOME: join(tmpdir(), 'parity-caddy-data'),
      XDG_CONFIG_HOME: join(tmpdir(), 'parity-caddy-config'),
    },
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitUntilAnswering(port, child, `caddy run ${file}`, 15_000, () => output.slice(-4000));
  } catch (e) {
    await stop(child);
    throw e;
  }
  return { stop: () => stop(child) };
}

/** Loopback echo upstream: answers with a JSON summary of what it received, plus a fixed header naming itself. */
export function startEcho(name: string, port: number): Promise<Server> {
  const srv = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      // /slow/<ms>: the response headers come after that delay (response_header_timeout cases).
      const slow = /^\/slow\/(\d+)/.exec(req.url ?? '');
      if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
      const seen = {
        upstream: name,
        method: req.method,
        url: req.url,
        host: req.headers.host,
        xff: req.headers['x-forwarded-for'],
        xfproto: req.headers['x-forwarded-proto'],
        xfhost: req.headers['x-forwarded-host'],
        custom: req.headers['x-custom'],
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const body = `${JSON.stringify(seen)}\n`;
      res.writeHead(req.url?.startsWith('/status/') ? Number(req.url.slice(8, 11)) || 200 : 200, {
        'Content-Type': 'application/json',
        'X-Upstream': name,
        'X-Remove-Me': 'secret',
      });
      res.end(body);
    });
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}
