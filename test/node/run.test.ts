import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, freePort, rawRequest, startGatehouse } from './local-runtime-helpers.ts';

// `gatehouse run` end to end: serves a Caddyfile on workerd behind the front, with no config or secret on any
// process's command line, and one SIGINT stops everything and frees the port.

/** The command lines of `pid` and all its descendants, as `ps` shows them. */
function commandLines(pid: number): string[] {
  const out: string[] = [];
  const visit = (p: number) => {
    try {
      out.push(readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '));
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean))
          visit(Number(child));
      }
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return out;
}

describe('gatehouse run', () => {
  it('serves the Caddyfile with no config text or secret on a command line, and stops on one SIGINT', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-run-test-'));
    const marker = 'marker-7f3a9c';
    writeFileSync(
      join(dir, 'Caddyfile'),
      `:8080 {\n\trespond "${marker} {path} {header.Accept-Encoding} [{env.GH_RUN_GREETING}] [{env.ADMIN_TOKEN}]" 200\n}\n`,
    );
    writeFileSync(join(dir, '.dev.vars'), 'METRICS_TOKEN="dev-vars-metrics-secret"\n');
    const port = await freePort();
    const seen = new Set<string>();
    const environment = {
      ADMIN_TOKEN: 'env-admin-secret',
      GH_RUN_GREETING: 'hello-from-env',
      GH_RUN_UNUSED: 'unused-env-value',
    };
    const pending = startGatehouse(['run', '--listen', `127.0.0.1:${port}`], dir, environment);
    // Sample the process tree while it builds and starts (wrangler's build runs only then).
    const sampler = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (line.includes(dir) || /gatehouse|workerd|wrangler/.test(line)) seen.add(line.replaceAll('\0', ' '));
        } catch {
          // gone
        }
      }
    }, 25);
    let started;
    try {
      started = await pending;
    } finally {
      clearInterval(sampler);
    }
    const { child } = started;
    try {
      // The Worker sees the request as sent (wrangler dev used to force `Accept-Encoding: br, gzip`).
      const r = await rawRequest(
        port,
        'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n',
      );
      // {env.NAME} reads the environment `run` was started with; a secret reads as unset.
      expect(r, started.log()).toMatchObject({ status: 200, body: `${marker} /hello identity [hello-from-env] []` });
      // The secrets reached the Worker: the admin API answers the token from the environment.
      const admin = await fetch(`http://127.0.0.1:${port}/gatehouse-admin/config/versions`, {
        headers: { Authorization: 'Bearer env-admin-secret' },
      });
      expect(admin.status).toBe(200);
      const lines = [...seen, ...commandLines(child.pid!)];
      expect(lines.some((l) => l.includes('wrangler') && l.includes(' deploy '))).toBe(true);
      expect(lines.some((l) => l.includes('workerd') && l.includes(' serve '))).toBe(true);
      for (const line of lines) {
        expect(line).not.toContain(marker);
        expect(line).not.toContain('GATEHOUSE_CONFIG');
        expect(line).not.toContain('env-admin-secret');
        expect(line).not.toContain('dev-vars-metrics-secret');
      }
      // The generated files holding them are the owner's only.
      for (const f of ['config.json', 'workerd.capnp'])
        expect(statSync(join(dir, '.gatehouse/run', f)).mode & 0o777).toBe(0o600);
      const capnp = readFileSync(join(dir, '.gatehouse/run/workerd.capnp'), 'utf8');
      expect(capnp).toContain('dev-vars-metrics-secret');
      // Only the variables the config references are bound.
      expect(capnp).toContain('hello-from-env');
      expect(capnp).not.toContain('unused-env-value');
      const dataDir = /disk = \(path = "([^"]+)"/.exec(capnp)![1];
      expect(existsSync(dataDir)).toBe(true);

      const t0 = Date.now();
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      // The port is free again, workerd is gone and the ephemeral data directory is removed.
      await new Promise<void>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
      expect(commandLines(child.pid!)).toEqual([]);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
