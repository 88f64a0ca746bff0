import { spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CLI as a user runs it: `node bin/gatehouse.js <verb>` in a directory with a Caddyfile.

const bin = new URL('../../bin/gatehouse.js', import.meta.url).pathname;

function gatehouse(args: string[], files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const res = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
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
    const r = gatehouse(['adapt', '--pretty', '--config', 'site.caddyfile'], { 'site.caddyfile': ':80 {\n\trespond x\n}\n' });
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
  async function withAdmin(answers: Record<string, string>, run: (url: string) => Promise<void>): Promise<Array<{ path: string; body: string }>> {
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
      { '/gatehouse-admin/load': JSON.stringify({ status: 'unchanged', version: 2, message: 'config unchanged' }), '/gatehouse-admin/config/versions': state },
      async (admin) => {
        result = await gatehouseAsync(['push', '--admin', admin], { Caddyfile: ':80 {\n\trespond x\n}\n' }, { GATEHOUSE_ADMIN_TOKEN: 't' });
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
      revision: 4, active: 2, candidate: null, percent: 0, deployed: 1,
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
});
