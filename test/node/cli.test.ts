import { spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

// The CLI as a user runs it: `node bin/gatehouse.js <verb>` in a directory with a Caddyfile.

const bin = new URL('../../bin/gatehouse.js', import.meta.url).pathname;

function gatehouse(args: string[], files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const res = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: res.status, out: res.stdout, err: res.stderr, dir };
}

// Each test spawns the CLI (a Node process) once or twice: seconds apiece on a busy machine.
describe('gatehouse CLI', { timeout: 30_000 }, () => {
  it('adapt prints Caddy JSON for ./Caddyfile, with {$VAR} from the environment', () => {
    const r = gatehouse(['adapt'], { Caddyfile: ':8080 {\n\trespond "{$GREETING:hi}"\n}\n' }, { GREETING: 'hello' });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.apps.http.servers.srv0.listen).toEqual([':8080']);
    expect(json.apps.http.servers.srv0.routes[0].handle[0]).toEqual({ handler: 'static_response', body: 'hello' });
  });

  it('adapt --pretty indents with tabs like caddy adapt --pretty', () => {
    const r = gatehouse(['adapt', '--pretty', '--config', 'site.caddyfile'], {
      'site.caddyfile': ':80 {\n\trespond x\n}\n',
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\{\n\t"apps"/);
  });

  it('validate exits 0 for a valid config and 1 with file:line for a bad one', () => {
    const ok = gatehouse(['validate'], { Caddyfile: ':80 {\n\trespond ok\n}\n' });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('Valid configuration');
    const bad = gatehouse(['validate'], { Caddyfile: ':80 {\n\trespond ok\n\tfrobnicate now\n}\n' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Caddyfile:3\b.*unrecognized directive: frobnicate/);
    expect(bad.err).not.toMatch(/\n\s+at /); // no stack trace for user input
  });

  it('validate names an unsupported directive', () => {
    const r = gatehouse(['validate'], { Caddyfile: ':80 {\n\tphp_fastcgi localhost:9000\n}\n' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('php_fastcgi');
  });

  it('fmt prints the formatted file and --overwrite rewrites it', () => {
    const messy = 'a.com\n{\nrespond   x\n}\n';
    const r = gatehouse(['fmt', 'Caddyfile'], { Caddyfile: messy });
    expect(r.code).toBe(0);
    expect(r.out).toBe('a.com {\n\trespond x\n}\n');
    const w = gatehouse(['fmt', '--overwrite', 'Caddyfile'], { Caddyfile: messy });
    expect(w.code).toBe(0);
    expect(readFileSync(join(w.dir, 'Caddyfile'), 'utf8')).toBe('a.com {\n\trespond x\n}\n');
  });

  it('reports a missing config file and unknown flags', () => {
    const missing = gatehouse(['adapt', '--config', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file');
    const flag = gatehouse(['adapt', '--bogus']);
    expect(flag.code).toBe(1);
    expect(flag.err).toContain('unknown flag');
  });

  it('lists its commands', () => {
    const r = gatehouse(['help']);
    for (const verb of ['run', 'adapt', 'validate', 'fmt', 'deploy', 'push', 'rollout', 'promote', 'rollback']) {
      expect(r.out).toContain(verb);
    }
  });

  // The admin clients against a loopback server answering as the admin API does; it records what they send.
  async function withAdmin(
    answers: Record<string, string>,
    run: (url: string) => Promise<void>,
  ): Promise<Array<{ path: string; body: string }>> {
    const seen: Array<{ path: string; body: string }> = [];
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(answers[req.url ?? ''] ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await run(`http://127.0.0.1:${(server.address() as { port: number }).port}/gatehouse-admin`);
    } finally {
      server.close();
    }
    return seen;
  }

  function gatehouseAsync(args: string[], files: Record<string, string>, env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    return new Promise<{ code: number | null; out: string }>((r) => child.on('exit', (code) => r({ code, out })));
  }

  const state = JSON.stringify({ revision: 3, active: 2, candidate: null, percent: 0, versions: [] });

  it('push says "unchanged" when the admin API answers that the config is already active', async () => {
    let result = { code: null as number | null, out: '' };
    await withAdmin(
      {
        '/gatehouse-admin/load': JSON.stringify({ status: 'unchanged', version: 2, message: 'config unchanged' }),
        '/gatehouse-admin/config/versions': state,
      },
      async (admin) => {
        result = await gatehouseAsync(
          ['push', '--admin', admin],
          { Caddyfile: ':80 {\n\trespond x\n}\n' },
          { GATEHOUSE_ADMIN_TOKEN: 't' },
        );
      },
    );
    expect(result.code).toBe(0);
    expect(result.out).toContain('unchanged: version 2 is already active');
  });

  it('rollback --to N asks for that version', async () => {
    let result = { code: null as number | null, out: '' };
    const seen = await withAdmin({ '/gatehouse-admin/config/rollback': state }, async (admin) => {
      result = await gatehouseAsync(['rollback', '--to', '2', '--admin', admin], {}, { GATEHOUSE_ADMIN_TOKEN: 't' });
    });
    expect(result.code).toBe(0);
    expect(seen).toEqual([{ path: '/gatehouse-admin/config/rollback', body: '{"version":2}' }]);
    expect(result.out).toContain('active: version 2; no rollout');
  });

  it('versions marks the deployed version beside the active one', async () => {
    let result = { code: null as number | null, out: '' };
    const listing = JSON.stringify({
      revision: 4,
      active: 2,
      candidate: null,
      percent: 0,
      deployed: 1,
      versions: [
        { id: 2, hash: 'b'.repeat(64), source: 'caddyfile', note: 'pushed', createdAt: 0 },
        { id: 1, hash: 'a'.repeat(64), source: 'json', note: 'deployed config', createdAt: 0 },
      ],
    });
    await withAdmin({ '/gatehouse-admin/config/versions': listing }, async (admin) => {
      result = await gatehouseAsync(['versions', '--admin', admin], {}, { GATEHOUSE_ADMIN_TOKEN: 't' });
    });
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(/^ {3}2 .* active +pushed$/);
    expect(lines[1]).toMatch(/^ {3}1 .* deployed +deployed config$/);
  });

  it("--help and -h print every command's usage and exit 0", async () => {
    let out = '';
    const ctx = {
      cwd: tmpdir(),
      env: {},
      out: (t: string) => (out += t),
      err: (t: string) => (out += `ERR ${t}`),
      readStdin: async () => '',
    };
    for (const verb of [
      'init',
      'run',
      'adapt',
      'validate',
      'fmt',
      'deploy',
      'selfhost',
      'push',
      'rollout',
      'promote',
      'rollback',
      'versions',
    ]) {
      for (const flag of ['--help', '-h']) {
        out = '';
        expect(await main([verb, flag], ctx), `${verb} ${flag}`).toBe(0);
        expect(out).toMatch(new RegExp(`^Usage:\n  gatehouse ${verb} `));
        expect(out).toContain('-h, --help');
      }
    }
    const spawned = gatehouse(['deploy', '--help']);
    expect(spawned.code).toBe(0);
    expect(spawned.out).toContain('gatehouse deploy [--config <file>]');
  });

  it('push usage shows --config as optional (it defaults to ./Caddyfile)', () => {
    const r = gatehouse(['help', 'push']);
    expect(r.out).toContain('gatehouse push [--config <file>] [--admin <url>]');
  });

  it('versions with an --admin URL that is not the admin API says so, without a TypeError', async () => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>my site</html>'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
      const child = spawn(process.execPath, [bin, 'versions', '--admin', `http://127.0.0.1:${port}/wrong`], {
        cwd: dir,
        env: { ...process.env, GATEHOUSE_ADMIN_TOKEN: 't' },
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(1);
      expect(err).toContain(`http://127.0.0.1:${port}/wrong/config/versions did not answer as the Gatehouse admin API`);
      expect(err).not.toContain('TypeError');
      expect(err).not.toContain('Cannot read');
    } finally {
      server.close();
    }
  });

  it('the not-formatted warning tells to run gatehouse fmt --overwrite', () => {
    const r = gatehouse(['validate'], { Caddyfile: ':80 {\nrespond ok\n}\n' });
    expect(r.code).toBe(0);
    expect(r.err).toContain("run 'gatehouse fmt --overwrite'");
    expect(r.err).not.toContain('caddy fmt');
  });

  it('fmt --diff prints the whole file with context lines, as caddy fmt --diff does', () => {
    const input = 'a.com\n{\nrespond   x\n}\n\n\n\nb.com {\n\tlog\n\tencode   gzip\n}\n';
    const r = gatehouse(['fmt', '--diff'], { Caddyfile: input });
    // Printed by caddy 2.6.2 for the same file.
    expect(r.out).toBe(
      '- a.com\n- {\n- respond   x\n+ a.com {\n+ \trespond x\n  }\n- \n- \n  \n  b.com {\n  \tlog\n- \tencode   gzip\n+ \tencode gzip\n  }\n  \n',
    );
    expect(r.code).toBe(1);
    const clean = gatehouse(['fmt', '--diff'], { Caddyfile: 'a {\n\trespond x\n}\n' });
    expect(clean.out).toBe('  a {\n  \trespond x\n  }\n  \n');
    expect(clean.code).toBe(0);
  });
});
