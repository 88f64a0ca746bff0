import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CADDY } from './caddy.ts';
import { freePort, ROOT, send, startCaddy, type SampleRequest } from './runtime-harness.ts';

// Access logs against Caddy 2.6.2: the same Caddyfile (file outputs into a temporary directory) and the same
// requests on `caddy run` and `gatehouse run`; the entries must agree on everything but time, duration and ports.

const CADDYFILE = (port: number, dir: string) => `{
	admin off
	auto_https off
}
http://a.localhost:${port} {
	log {
		output file ${dir}/a.log
	}
	skip_log /skip
	respond /missing 404
	respond "hello a"
}
http://b.localhost:${port} {
	respond "b"
}
http://c.localhost:${port} {
	log {
		output file ${dir}/c.log
		format console
	}
	respond "c"
}
`;

// Host with the port, as a browser sends it: Caddy 2.6 maps logger names by host:port.
const REQUESTS = (port: number): SampleRequest[] => [
  {
    name: 'plain',
    path: '/p?q=1',
    headers: {
      Host: `a.localhost:${port}`,
      'User-Agent': 'parity/1',
      Authorization: 'Bearer s3cret',
      Cookie: 'sid=1',
      'X-Custom': 'v',
    },
  },
  { name: '404', path: '/missing', headers: { Host: `a.localhost:${port}` } },
  { name: 'skipped', path: '/skip', headers: { Host: `a.localhost:${port}` } },
  {
    name: 'post',
    method: 'POST',
    path: '/form',
    body: 'a=1',
    headers: { Host: `a.localhost:${port}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  },
  { name: 'host without log', path: '/', headers: { Host: `b.localhost:${port}` } },
  { name: 'console', path: '/c', headers: { Host: `c.localhost:${port}` } },
];

/** Header names only the client sent (the local front adds Cf-Connecting-Ip; Go keeps Connection out of its map). */
const CLIENT_ONLY = (names: string[]) => names.filter((n) => n !== 'Cf-Connecting-Ip' && n !== 'Connection').sort();
/**
 * Response fields Go writes after the handler (Content-Length), only Caddy sets (Server: Caddy), or Caddy sets to
 * an empty list to stop Go sniffing a type (a bodyless `respond`'s Content-Type).
 */
const HANDLER_ONLY = (headers: Record<string, string[]>) =>
  Object.keys(headers)
    .filter((n) => n !== 'Server' && n !== 'Content-Length' && headers[n].length > 0)
    .sort();

// biome-ignore lint/suspicious/noExplicitAny: log entries are read as free-form JSON
type Entry = Record<string, any>;

/**
 * Gatehouse writes current Caddy's entry; the oracle is 2.6.2. These are the differences between the two, each
 * undone here so that everything else is compared as is: [field, 2.6.2, current, since].
 */
const KNOWN_DIFFERENCES = [
  ['request.client_ip', 'absent', 'the client IP after trusted_proxies', '2.7'],
  ['bytes_read', 'absent', 'request body bytes read', '2.7'],
  ['credential headers', '[]', '["REDACTED"]', '2.8'],
  ['level of a 4xx', 'error', 'info (error for 5xx only)', '2.8'],
] as const;

function as262(e: Entry): Entry {
  const { client_ip: _clientIp, ...request } = e.request;
  const headers = { ...request.headers };
  for (const name of ['Authorization', 'Proxy-Authorization', 'Cookie', 'Set-Cookie']) {
    if (headers[name]?.[0] === 'REDACTED') headers[name] = [];
  }
  const { bytes_read: _bytesRead, ...rest } = e;
  return { ...rest, level: e.status >= 400 ? 'error' : e.level, request: { ...request, headers } };
}

/** What must match: the entry with its varying parts (time, duration, ports, Gatehouse's `edge`) left out. */
function comparable(e: Entry) {
  return {
    keys: Object.keys(e).filter((k) => k !== 'edge'),
    requestKeys: Object.keys(e.request),
    level: e.level,
    logger: e.logger,
    msg: e.msg,
    status: e.status,
    size: e.size,
    user_id: e.user_id,
    method: e.request.method,
    host: e.request.host.replace(/:\d+$/, ':PORT'),
    uri: e.request.uri,
    proto: e.request.proto,
    remote_ip: e.request.remote_ip,
    headers: CLIENT_ONLY(Object.keys(e.request.headers)),
    credentials: [e.request.headers.Authorization, e.request.headers.Cookie],
    respHeaders: HANDLER_ONLY(e.resp_headers),
    tsIsNumber: typeof e.ts === 'number',
    durationIsNumber: typeof e.duration === 'number',
  };
}

/** A console line: the tab-separated head (time left out) and the JSON fields. */
function consoleLine(line: string) {
  const [time, level, logger, msg, fields] = line.split('\t');
  return {
    timeShape: time.replace(/\d/g, '9'),
    level,
    logger,
    msg,
    fields: comparable({ ...JSON.parse(fields), level, logger, msg, ts: 0 }),
  };
}

async function startGatehouseRun(file: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'run', '--config', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gatehouse run exited:\n${output}`);
    if (!(await send(port, { name: 'probe', path: '/', headers: { Host: `b.localhost:${port}` } }, 1000)).aborted)
      return { stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`gatehouse run did not answer:\n${output}`);
}

const sides: Record<'caddy' | 'gatehouse', { a: string[]; c: string[] }> = {
  caddy: { a: [], c: [] },
  gatehouse: { a: [], c: [] },
};
const dirs: string[] = [];

async function runSide(side: 'caddy' | 'gatehouse'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `access-parity-${side}-`));
  dirs.push(dir);
  const port = await freePort();
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, CADDYFILE(port, dir));
  const server = side === 'caddy' ? await startCaddy(CADDY!, file, {}, port) : await startGatehouseRun(file, port);
  try {
    for (const r of REQUESTS(port)) await send(port, r);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await server.stop();
  }
  const read = (name: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean) : [];
  sides[side] = { a: read('a.log'), c: read('c.log') };
}

describe.skipIf(!CADDY)('access log parity with Caddy 2.6.2', () => {
  beforeAll(async () => {
    await runSide('caddy');
    await runSide('gatehouse');
  }, 90_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('JSON file output: same entries, keys in the same order, same values where they must match', () => {
    expect(sides.caddy.a).toHaveLength(3);
    const caddy = sides.caddy.a.map((l) => comparable(JSON.parse(l)));
    const gatehouse = sides.gatehouse.a.map((l) => comparable(as262(JSON.parse(l))));
    expect(gatehouse).toEqual(caddy);
  });

  it('the differences from 2.6.2 are the known ones: current Caddy fields, REDACTED credentials', () => {
    expect(KNOWN_DIFFERENCES).toHaveLength(4);
    const [first, missing] = sides.gatehouse.a.map((l) => JSON.parse(l) as Entry);
    expect(first.request.headers.Authorization).toEqual(['REDACTED']);
    expect(first.request.client_ip).toBe('127.0.0.1');
    expect(first.bytes_read).toBe(0);
    expect(missing).toMatchObject({ status: 404, level: 'info' });
    expect(JSON.parse(sides.caddy.a[0]).request.headers.Authorization).toEqual([]);
    expect(sides.gatehouse.a.join('\n')).not.toContain('s3cret');
  });

  it('console file output: same layout', () => {
    expect(sides.caddy.c).toHaveLength(1);
    const gatehouseLines = sides.gatehouse.c.map((line) => {
      const [time, , logger, msg, fields] = line.split('\t');
      const e = as262(JSON.parse(fields));
      return consoleLine(
        [
          time,
          e.level === 'error' ? '\u001b[31mERROR\u001b[0m' : line.split('\t')[1],
          logger,
          msg,
          JSON.stringify(e),
        ].join('\t'),
      );
    });
    expect(gatehouseLines).toEqual(sides.caddy.c.map(consoleLine));
  });
});
