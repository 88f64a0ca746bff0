import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFieldFilter } from '../../src/logging/field-filter.ts';
import '../../src/logging/filters/index.ts';
import { CADDY } from './caddy.ts';
import { caddyAdapt } from './caddy.ts';
import { freePort, startCaddy } from './runtime-harness.ts';

// The `filter` log encoder's field filters against Caddy 2.6.2: one Caddy serves two sites, the same requests go to
// both; one site logs plain JSON, the other logs through every filter. Our filters applied to the plain entry must
// give Caddy's filtered entry, field for field.

const FIELDS = `
      request>headers>Authorization replace REDACTED
      request>headers>Cookie cookie {
        replace session REDACTED
        hash user
        delete tracking
      }
      request>uri query {
        delete token
        replace key XX
        hash h
      }
      request>headers>X-Real-Ip ip_mask 16 32
      request>headers>X-Forwarded-For ip_mask {
        ipv4 24
        ipv6 48
      }
      request>headers>X-Nomask ip_mask
      request>remote_ip ip_mask 8
      request>headers>X-Secret hash
      request>headers>X-Api-Key regexp "([a-z]+)-(\\d+)" "\${2}_$1"
      request>headers>X-Twice regexp "x" "xy"
      request>headers>User-Agent delete
      request>host rename hostname
      request>method hash
      status hash
      resp_headers>X-Out hash
      resp_headers>X-Out-Re regexp "x" "xy"`;

function caddyfiles(filteredPort: number, plainPort: number, dir: string): [string, string] {
  const global = `{
  admin off
  auto_https off
}
`;
  return [
    `${global}:${filteredPort} {
  bind 127.0.0.1
  log {
    output file ${join(dir, 'filtered.log')}
    format filter {
      wrap json
      fields {${FIELDS}
      }
    }
  }
  header X-Out hunter2
  header X-Out-Re x
  respond "ok"
}
`,
    `${global}:${plainPort} {
  bind 127.0.0.1
  log {
    output file ${join(dir, 'plain.log')}
    format json
  }
  header X-Out hunter2
  header X-Out-Re x
  respond "ok"
}
`,
  ];
}

const REQUESTS = [
  [
    'GET /search?q=one&token=s3cret&q=two&key=k1&h=abc&key=k2 HTTP/1.1',
    'Authorization: Bearer abc.def',
    'Cookie: session=xyz; user=bob; tracking=1',
    'Cookie: theme="dark mode"; bad name=1; x=a\\b; empty=; user="q,"',
    'X-Real-Ip: 203.0.113.77',
    'X-Forwarded-For: 2001:db8:1:2:3:4:5:6, 10.1.2.3:8080, unknown',
    'X-Forwarded-For: [2001:db8::9]:443,::ffff:10.9.8.7',
    'X-Nomask: 192.168.1.1, fe80::1',
    'X-Secret: hunter2',
    'X-Secret: ',
    'X-Api-Key: abc-123 xyz-9 ABC-1',
    'User-Agent: test/1.0',
    'X-Twice: x',
  ],
  ['GET /p%41th%2fx/?b=%zz&a=1;2&c=%FF&c=&z&%41=1+2 HTTP/1.1', 'Cookie: tracking=1', 'X-Real-Ip: not-an-ip'],
  ['GET /a?b=1#frag%zz HTTP/1.1', 'X-Real-Ip: 1.2.3.4:99, 01.2.3.4'],
  ['GET /empty? HTTP/1.1', 'X-Real-Ip: 2001:db8:ffff:ffff::1'],
  ['GET /a%20b/%7e~?%7e=%20 HTTP/1.1'],
];

function rawGet(port: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`${[lines[0], 'Host: example.test', ...lines.slice(1), 'Connection: close'].join('\r\n')}\r\n\r\n`);
    });
    sock.on('data', () => {});
    sock.on('end', () => resolve());
    sock.on('error', reject);
  });
}

type Entry = Record<string, unknown>;

function applyFilters(entry: Entry, fields: Record<string, Record<string, unknown>>): Entry {
  const out = structuredClone(entry);
  for (const [path, json] of Object.entries(fields)) {
    const keys = path.split('>');
    let parent: unknown = out;
    for (const k of keys.slice(0, -1)) parent = (parent as Entry | undefined)?.[k];
    const last = keys[keys.length - 1];
    if (typeof parent !== 'object' || parent === null || !(last in parent)) continue;
    const obj = parent as Entry;
    const result = compileFieldFilter(json, path)({ key: last, value: obj[last] });
    delete obj[last];
    if (result) obj[result.key] = result.value;
  }
  return out;
}

function entries(file: string): Entry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const e = JSON.parse(l) as Entry;
      // what differs between the two sites or two moments
      for (const k of ['ts', 'duration', 'logger']) delete e[k];
      delete (e.request as Entry).remote_port;
      return e;
    });
}

describe.skipIf(!CADDY)('filter log encoder parity with Caddy 2.6.2', () => {
  let dir: string;
  let caddys: Array<{ stop(): Promise<void> }> = [];
  let fields: Record<string, Record<string, unknown>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'log-filters-'));
    const [filteredPort, plainPort] = [await freePort(), await freePort()];
    const [filteredText, plainText] = caddyfiles(filteredPort, plainPort, dir);
    const file = join(dir, 'filtered.Caddyfile');
    const plainFile = join(dir, 'plain.Caddyfile');
    writeFileSync(file, filteredText);
    writeFileSync(plainFile, plainText);
    const adapted = caddyAdapt(file);
    if (!adapted.json) throw new Error(adapted.error);
    const logs = Object.values(
      (adapted.json as { logging: { logs: Record<string, { encoder?: Entry }> } }).logging.logs,
    );
    fields = logs.find((l) => l.encoder?.format === 'filter')?.encoder?.fields as typeof fields;
    caddys.push(await startCaddy(CADDY!, file, {}, filteredPort));
    caddys.push(await startCaddy(CADDY!, plainFile, {}, plainPort));
    for (const req of REQUESTS) {
      await rawGet(filteredPort, req);
      await rawGet(plainPort, req);
    }
    await Promise.all(caddys.map((c) => c.stop()));
    caddys = [];
  }, 30_000);

  afterAll(async () => {
    await Promise.all(caddys.map((c) => c.stop()));
    if (!process.env.KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  });

  it('gives Caddy’s filtered entry for every request', () => {
    // the startup probe reaches the plain site too; only the crafted requests name example.test
    const filtered = entries(join(dir, 'filtered.log')).filter((e) => (e.request as Entry).hostname === 'example.test');
    const plain = entries(join(dir, 'plain.log')).filter((e) => (e.request as Entry).host === 'example.test');
    expect(filtered).toHaveLength(REQUESTS.length);
    expect(plain).toHaveLength(REQUESTS.length);
    for (let i = 0; i < plain.length; i++) expect(applyFilters(plain[i], fields), `request ${i}`).toEqual(filtered[i]);
  });
});
