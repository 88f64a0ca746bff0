import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { AccessLog } from '../../src/logging/access.ts';
import { LogDuration } from '../../src/logging/entry.ts';
import { registerFieldFilter } from '../../src/logging/field-filter.ts';
import { goFloat } from '../../src/logging/go-json.ts';
import { compileLogs } from '../../src/logging/logs.ts';
import { compileServerLogPolicy } from '../../src/logging/server-logs.ts';
import { configureFileLines, FILE_LINE_MARK, fileOutputs } from '../../src/logging/writers.ts';
import { createRequestContext } from '../../src/http/context.ts';

// Access logs as a user sees them: the lines a Caddyfile's `log` writes to stdout/stderr for requests served.

let out: string[];
let err: string[];

beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
});
afterEach(() => vi.restoreAllMocks());

/** Serves each request through the Caddyfile and waits for the log writes the Worker hands to waitUntil. */
async function serve(caddyfile: string, requests: Array<string | Request>): Promise<Response[]> {
  const { config } = adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} });
  const compiled = compileConfig(config);
  const pending: Promise<unknown>[] = [];
  const responses: Response[] = [];
  for (const r of requests) {
    const req =
      typeof r === 'string'
        ? new Request(r, { headers: { 'User-Agent': 'curl/8', Authorization: 'Bearer secret-token', Cookie: 'sid=1' } })
        : r;
    const res = await compiled.serve(
      req,
      {},
      { waitUntil: (p) => void pending.push(p) },
      { remoteIp: '192.0.2.7', configVersion: 3 },
    );
    await res.arrayBuffer();
    responses.push(res);
  }
  await Promise.all(pending);
  return responses;
}

// biome-ignore lint/suspicious/noExplicitAny: log entries are read as free-form JSON
const json = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, any>);

describe('access log entries', () => {
  it('one JSON line per request, in current Caddy key order, credentials REDACTED, error level for 5xx only', async () => {
    await serve(
      ':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\trespond /missing 404\n\trespond /broken 502\n\trespond "hello"\n}\n',
      ['http://h.test/a?b=1', 'http://h.test/missing', 'http://h.test/broken'],
    );
    expect(err).toEqual([]);
    const [ok, missing, broken] = json(out);
    expect(Object.keys(ok)).toEqual([
      'level',
      'ts',
      'logger',
      'msg',
      'request',
      'bytes_read',
      'user_id',
      'duration',
      'size',
      'status',
      'resp_headers',
      'edge',
    ]);
    expect(ok).toMatchObject({
      level: 'info',
      logger: 'http.log.access.log0',
      msg: 'handled request',
      bytes_read: 0,
      user_id: '',
      size: 5,
      status: 200,
    });
    expect(Object.keys(ok.request)).toEqual([
      'remote_ip',
      'remote_port',
      'client_ip',
      'proto',
      'method',
      'host',
      'uri',
      'headers',
    ]);
    expect(ok.request).toMatchObject({
      remote_ip: '192.0.2.7',
      client_ip: '192.0.2.7',
      proto: 'HTTP/1.1',
      method: 'GET',
      host: 'h.test',
      uri: '/a?b=1',
    });
    expect(ok.request.headers).toEqual({ 'User-Agent': ['curl/8'], Authorization: ['REDACTED'], Cookie: ['REDACTED'] });
    expect(out[0]).not.toContain('secret-token');
    expect(ok.edge).toEqual({ config_version: 3 });
    expect(typeof ok.ts).toBe('number');
    expect(missing).toMatchObject({ level: 'info', status: 404 });
    expect(broken).toMatchObject({ level: 'error', status: 502 });
  });

  it('bytes_read: the request body the handlers read, 0 when none read it', async () => {
    const caddyfile =
      ':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\tvars /read seen "{http.request.body}"\n\trespond "ok"\n}\n';
    const streamed = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(text));
          c.close();
        },
      });
    await serve(caddyfile, [
      new Request('http://h.test/ignored', { method: 'POST', body: 'abcdef' }),
      new Request('http://h.test/read', { method: 'POST', body: 'abcdef' }),
      new Request('http://h.test/read', {
        method: 'POST',
        body: streamed('0123456789'),
        duplex: 'half',
      } as RequestInit),
    ]);
    expect(json(out).map((e) => e.bytes_read)).toEqual([0, 6, 10]);
  });

  it('should_log_credentials logs the credential values', async () => {
    await serve(
      '{\n\tservers {\n\t\tlog_credentials\n\t}\n}\n:80 {\n\tlog {\n\t\toutput stdout\n\t}\n\trespond ok\n}\n',
      ['http://h.test/'],
    );
    expect(json(out)[0].request.headers.Authorization).toEqual(['Bearer secret-token']);
  });

  it('no `log`: nothing is written', async () => {
    await serve(':80 {\n\trespond ok\n}\n', ['http://h.test/']);
    expect([...out, ...err]).toEqual([]);
  });

  it("a log without output goes to stderr (Caddy's default log)", async () => {
    await serve(':80 {\n\tlog\n\trespond ok\n}\n', ['http://h.test/']);
    expect(out).toEqual([]);
    expect(json(err)[0]).toMatchObject({ logger: 'http.log.access', status: 200 });
  });

  it('output discard writes nothing; output stderr writes to stderr', async () => {
    await serve(':80 {\n\tlog {\n\t\toutput discard\n\t}\n\trespond ok\n}\n', ['http://h.test/']);
    expect([...out, ...err]).toEqual([]);
    await serve(':80 {\n\tlog {\n\t\toutput stderr\n\t}\n\trespond ok\n}\n', ['http://h.test/']);
    expect(out).toEqual([]);
    expect(json(err)).toHaveLength(1);
  });

  it('a handler error writes http.log.error.NAME to the logs that include it (here the default, stderr)', async () => {
    await serve(':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\terror "boom" 503\n}\n', ['http://h.test/x']);
    expect(json(out)[0]).toMatchObject({ level: 'error', logger: 'http.log.access.log0', status: 503 });
    const [e] = json(err);
    expect(Object.keys(e)).toEqual([
      'level',
      'ts',
      'logger',
      'msg',
      'request',
      'duration',
      'status',
      'err_id',
      'err_trace',
    ]);
    expect(e).toMatchObject({ level: 'error', logger: 'http.log.error.log0', msg: 'boom', status: 503 });
    expect(e.err_id).toMatch(/^[a-z0-9]{9}$/);
  });

  it('log_skip keeps a request out of the log', async () => {
    await serve(':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\tlog_skip /health\n\trespond ok\n}\n', [
      'http://h.test/health',
      'http://h.test/other',
    ]);
    expect(json(out).map((e) => e.request.uri)).toEqual(['/other']);
  });

  it("a 2.6 config's skip_log var is honoured too", async () => {
    const cfg = {
      apps: {
        http: {
          servers: {
            s: {
              listen: [':80'],
              logs: {},
              routes: [
                {
                  handle: [
                    { handler: 'vars', skip_log: true },
                    { handler: 'static_response', body: 'x' },
                  ],
                },
              ],
            },
          },
        },
      },
    };
    await compileConfig(cfg).serve(new Request('http://h.test/'), {});
    await new Promise((r) => setTimeout(r, 10));
    expect([...out, ...err]).toEqual([]);
  });

  it('logger_names per host: each site logs under its own name; a site without `log` is skipped', async () => {
    const site = (name: string) =>
      `http://${name}.test {\n\tlog ${name} {\n\t\toutput stdout\n\t}\n\trespond ${name}\n}\n`;
    await serve(`${site('a')}${site('b')}http://c.test {\n\trespond c\n}\n`, [
      'http://a.test/',
      'http://b.test/',
      'http://c.test/',
    ]);
    expect(json(out).map((e) => [e.logger, e.request.host])).toEqual([
      ['http.log.access.a', 'a.test'],
      ['http.log.access.b', 'b.test'],
    ]);
    expect(err).toEqual([]);
  });

  it("log_name sends the entry to the named loggers instead of the host's", async () => {
    const cf =
      'http://a.test {\n\tlog x {\n\t\toutput stdout\n\t}\n\tlog y {\n\t\toutput stderr\n\t}\n\tlog_name /only-y y\n\trespond ok\n}\n';
    await serve(cf, ['http://a.test/only-y']);
    expect(out).toEqual([]);
    expect(json(err).map((e) => e.logger)).toEqual(['http.log.access.y']);
  });

  it('log_append adds fields after the standard ones: a var, a placeholder, an early value', async () => {
    const cf =
      ':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\tvars who alice\n\tlog_append user who\n\tlog_append path {http.request.uri.path}\n\tlog_append <early yes\n\trespond ok\n}\n';
    await serve(cf, ['http://h.test/p']);
    const [e] = json(out);
    expect(Object.keys(e).slice(10)).toEqual(['resp_headers', 'early', 'path', 'user', 'edge']);
    expect(e).toMatchObject({ user: 'alice', path: '/p', early: 'yes' });
  });

  it('console format: time, coloured level, logger, message, then the fields as spaced JSON', async () => {
    await serve(':80 {\n\tlog {\n\t\toutput stdout\n\t\tformat console\n\t}\n\trespond ok\n}\n', ['http://h.test/c']);
    const parts = out[0].split('\t');
    expect(parts[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(parts.slice(1, 4)).toEqual(['\u001b[34mINFO\u001b[0m', 'http.log.access.log0', 'handled request']);
    expect(parts[4]).toContain('"request": {"remote_ip": "192.0.2.7"');
    expect(JSON.parse(parts[4]).status).toBe(200);
  });

  it('json encoder options rename keys and change the time, duration and level formats', async () => {
    const cf =
      ':80 {\n\tlog {\n\t\toutput stdout\n\t\tformat json {\n\t\t\tmessage_key message\n\t\t\ttime_format iso8601\n\t\t\tduration_format nano\n\t\t\tlevel_format upper\n\t\t}\n\t}\n\trespond ok\n}\n';
    await serve(cf, ['http://h.test/']);
    const [e] = json(out);
    expect(e).toMatchObject({ level: 'INFO', message: 'handled request' });
    expect(e.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Number.isInteger(e.duration)).toBe(true);
  });

  it('format filter with the real filters redacts a header and a query parameter end to end', async () => {
    const caddyfile = [
      ':80 {',
      '\tlog {',
      '\t\toutput stdout',
      '\t\tformat filter {',
      '\t\t\twrap json',
      '\t\t\tfields {',
      '\t\t\t\trequest>headers>User-Agent replace REDACTED',
      '\t\t\t\trequest>uri query {',
      '\t\t\t\t\tdelete token',
      '\t\t\t\t}',
      '\t\t\t\tresp_headers delete',
      '\t\t\t}',
      '\t\t}',
      '\t}',
      '\trespond "ok"',
      '}',
      '',
    ].join('\n');
    await serve(caddyfile, ['http://h.test/p?token=abc&keep=1']);
    const [entry] = json(out);
    expect(entry.request.headers['User-Agent']).toBe('REDACTED'); // replace writes a string, as Caddy's does
    expect(entry.request.uri).toBe('/p?keep=1');
    expect(entry.resp_headers).toBeUndefined();
    expect(out[0]).not.toContain('abc');
  });

  it('filter encoder hands the field at a `>` path to its filter', async () => {
    registerFieldFilter('test_upper', () => (f) => ({
      key: f.key,
      value: (f.value as string[]).map((v) => v.toUpperCase()),
    }));
    registerFieldFilter('test_drop', () => () => undefined);
    const cfg = {
      logging: {
        logs: {
          default: {
            writer: { output: 'stdout' },
            encoder: {
              format: 'filter',
              wrap: { format: 'json' },
              fields: { 'request>headers>User-Agent': { filter: 'test_upper' }, resp_headers: { filter: 'test_drop' } },
            },
          },
        },
      },
      apps: {
        http: {
          servers: {
            s: { listen: [':80'], logs: {}, routes: [{ handle: [{ handler: 'static_response', body: 'x' }] }] },
          },
        },
      },
    };
    const pending: Promise<unknown>[] = [];
    await compileConfig(cfg).serve(
      new Request('http://h.test/', { headers: { 'User-Agent': 'curl/8' } }),
      {},
      { waitUntil: (p) => void pending.push(p) },
    );
    await Promise.all(pending);
    const [e] = json(out);
    expect(e.request.headers['User-Agent']).toEqual(['CURL/8']);
    expect('resp_headers' in e).toBe(false);
    expect(() =>
      compileConfig({
        ...cfg,
        logging: {
          logs: {
            default: { encoder: { format: 'filter', wrap: { format: 'json' }, fields: { a: { filter: 'nope' } } } },
          },
        },
      }),
    ).toThrow(/unknown log field filter "nope"/);
  });

  it('include/exclude: a log takes the longest matching namespace', () => {
    const logs = compileLogs({ logs: { only: { include: ['http.log.access'], exclude: ['http.log.access.quiet'] } } });
    const only = logs.logs.find((l) => l.name === 'only')!;
    expect(only.accepts('http.log.access.a', 'info')).toBe(true);
    expect(only.accepts('http.log.access.quiet', 'info')).toBe(false);
    expect(only.accepts('http.log.accessx', 'info')).toBe(false);
    expect(only.accepts('http.log.error', 'error')).toBe(false);
  });

  it('level: a log at ERROR takes only error entries', async () => {
    await serve(':80 {\n\tlog {\n\t\toutput stdout\n\t\tlevel ERROR\n\t}\n\trespond /bad 500\n\trespond ok\n}\n', [
      'http://h.test/',
      'http://h.test/bad',
    ]);
    expect(json(out).map((e) => e.status)).toEqual([500]);
  });

  it('sampling writes the first N of each interval, then every Nth', () => {
    const logs = compileLogs({
      logs: {
        default: { writer: { output: 'stdout' }, sampling: { interval: 60_000_000_000, first: 2, thereafter: 3 } },
      },
    });
    for (let i = 0; i < 8; i++)
      logs.emit({ level: 'info', time: 1000, logger: 'http.log.access', msg: 'handled request', fields: { i } });
    expect(json(out).map((e) => e.i)).toEqual([0, 1, 4, 7]);
  });

  it('a streamed body without Content-Length is counted as it passes, and logged once it has', async () => {
    const logs = compileLogs({ logs: { default: { writer: { output: 'stdout' } } } });
    const log = new AccessLog(compileServerLogPolicy({}, 'logs'), logs);
    const pending: Promise<unknown>[] = [];
    const ctx = createRequestContext(
      new Request('http://h.test/s'),
      {},
      { exec: { waitUntil: (p) => void pending.push(p) } },
    );
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3));
        c.enqueue(new Uint8Array(4));
        c.close();
      },
    });
    const res = log.begin(ctx, {})!.finish(new Response(body));
    expect(out).toEqual([]);
    expect((await res.arrayBuffer()).byteLength).toBe(7);
    await Promise.all(pending);
    expect(json(out)[0].size).toBe(7);
  });

  it('file output: marked for the CLI to route under run/selfhost; a plain line on the log stream at the edge', async () => {
    const site = ':80 {\n\tlog {\n\t\toutput file /var/log/access.log\n\t}\n\trespond ok\n}\n';
    configureFileLines({ GATEHOUSE_LOG_FILES: 'route' });
    try {
      await serve(site, ['http://h.test/']);
    } finally {
      configureFileLines({});
    }
    expect(out[0].startsWith(`${FILE_LINE_MARK}/var/log/access.log\t{`)).toBe(true);
    await serve(site, ['http://h.test/']);
    expect(JSON.parse(out[1]).logger).toBe('http.log.access.log0');
    expect(
      fileOutputs({
        logs: { a: { writer: { output: 'file', filename: '/x.log' } }, b: { writer: { output: 'stdout' } } },
      }),
    ).toEqual(['/x.log']);
  });

  it('an unsupported writer is a config error naming the log', () => {
    const cfg = {
      logging: { logs: { n: { writer: { output: 'net', address: 'x:1' } } } },
      apps: { http: { servers: { s: { listen: [':80'], logs: {} } } } },
    };
    expect(() => compileConfig(cfg)).toThrow(ConfigError);
    expect(() => compileConfig(cfg)).toThrow(/logging\.logs\.n\.writer/);
  });
});

describe('goFloat', () => {
  it("writes Go's 'f' format, never an exponent", () => {
    expect(goFloat(0.000012)).toBe('0.000012');
    expect(goFloat(1.5e-7)).toBe('0.00000015');
    expect(goFloat(1796428299.353062)).toBe('1796428299.353062');
    expect(goFloat(1e21)).toBe('1000000000000000000000');
  });
});

describe('append encoder', () => {
  it("adds its fields after the entry's own; placeholder values are refused", async () => {
    const logging = {
      logs: {
        default: {
          writer: { output: 'stdout' },
          encoder: { format: 'append', wrap: { format: 'json' }, fields: { int: 1, s: 'x' } },
        },
      },
    };
    const cfg = {
      logging,
      apps: {
        http: {
          servers: {
            s: { listen: [':80'], logs: {}, routes: [{ handle: [{ handler: 'static_response', body: 'x' }] }] },
          },
        },
      },
    };
    const pending: Promise<unknown>[] = [];
    await compileConfig(cfg).serve(new Request('http://h.test/'), {}, { waitUntil: (p) => void pending.push(p) });
    await Promise.all(pending);
    expect(Object.keys(json(out)[0]).slice(-3)).toEqual(['resp_headers', 'int', 's']);
    const bad = {
      ...cfg,
      logging: { logs: { default: { encoder: { format: 'append', fields: { env: '{env.X}' } } } } },
    };
    expect(() => compileConfig(bad)).toThrow(/placeholder values are not supported/);
  });
});

describe('json encoder number formats', () => {
  it('a duration below a microsecond is written without an exponent, as zap writes it', () => {
    const logs = compileLogs({ logs: { default: { writer: { output: 'stdout' } } } });
    logs.emit({
      level: 'info',
      time: 1_700_000_000_000,
      logger: 'l',
      msg: 'm',
      fields: { duration: new LogDuration(0.0001), n: 1e-7 },
    });
    expect(out[0]).toBe(
      `{"level":"info","ts":1700000000,"logger":"l","msg":"m","duration":${goFloat(0.0001 / 1000)},"n":0.0000001}`,
    );
    expect(out[0]).not.toMatch(/\de-/);
  });

  it('unix_nano time is an integer of nanoseconds', () => {
    const logs = compileLogs({
      logs: { default: { writer: { output: 'stdout' }, encoder: { format: 'json', time_format: 'unix_nano' } } },
    });
    logs.emit({ level: 'info', time: 1_700_000_000_123, logger: 'l', msg: 'm', fields: {} });
    expect(out[0]).toBe('{"level":"info","ts":1700000000123000000,"logger":"l","msg":"m"}');
  });
});

describe('server logs policy and error routes', () => {
  it("skip_hosts (wildcards too) and skip_unmapped_hosts, as Caddy's shouldLogRequest", () => {
    const p = compileServerLogPolicy({ logger_names: { 'a.test': ['a'] }, skip_hosts: ['*.quiet.test'] }, 'logs');
    expect(p.shouldLog('a.test:8080')).toBe(true);
    expect(p.shouldLog('x.quiet.test')).toBe(false);
    expect(p.shouldLog('other.test')).toBe(true);
    expect(p.loggerNames('a.test:8080')).toEqual(['a']);
    expect(p.loggerNames('other.test')).toEqual(['']);
    const strict = compileServerLogPolicy({ logger_names: { '*.a.test': 'w' }, skip_unmapped_hosts: true }, 'logs');
    expect(strict.shouldLog('other.test')).toBe(false);
    expect(strict.loggerNames('x.a.test')).toEqual(['w']);
  });

  it('an error handle_errors answers is logged at debug (kept out of an INFO log); the access entry has its status', async () => {
    await serve(
      ':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\terror "boom" 502\n\thandle_errors {\n\t\trespond "sorry" 502\n\t}\n}\n',
      ['http://h.test/'],
    );
    expect(err).toEqual([]);
    expect(json(out)).toHaveLength(1);
    expect(json(out)[0]).toMatchObject({ level: 'error', status: 502, size: 5 });
  });
});

describe('edge fields of a proxied request', () => {
  it('name the upstream of the last attempt and how many attempts it took', async () => {
    const upstream = createServer((_req, res) => res.end('from upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const refused = createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const deadPort = (refused.address() as AddressInfo).port;
    await new Promise<void>((r) => refused.close(() => r())); // nothing listens there now: the dial is refused
    const live = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    try {
      const [res] = await serve(
        `:80 {\n\tlog {\n\t\toutput stdout\n\t}\n\treverse_proxy 127.0.0.1:${deadPort} ${live} {\n\t\tlb_policy first\n\t\tlb_retries 1\n\t\tfail_duration 10s\n\t}\n}\n`,
        ['http://h.test/'],
      );
      expect(res.status).toBe(200);
      const [entry] = json(out);
      expect(entry.edge).toEqual({ config_version: 3, upstream: live, attempts: 2 });
      out.length = 0;
      await serve(':80 {\n\tlog {\n\t\toutput stdout\n\t}\n\trespond "not proxied"\n}\n', ['http://h.test/']);
      expect(json(out)[0].edge).toEqual({ config_version: 3 });
    } finally {
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });
});
