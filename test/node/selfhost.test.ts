import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, freePort } from './local-runtime-helpers.ts';
import { compatibilityOf, selfhostConfig } from '../../src/cli/selfhost-config.ts';

// `gatehouse selfhost` end to end: build the bundle, start workerd, answer a request.

describe('gatehouse selfhost', () => {
  it("runs the Worker with wrangler.toml's compatibility date and flags, as a deployment does", () => {
    const toml = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
    const compat = compatibilityOf(toml);
    expect(compat.compatibilityDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(compat.compatibilityFlags).toEqual(['nodejs_compat']);
    const capnp = selfhostConfig({
      modules: [{ name: 'index.js', kind: 'esModule' }],
      dataDir: '/d',
      listen: '*:8080',
      vars: {},
      durableObjects: [],
      ...compat,
    });
    expect(capnp).toContain(`compatibilityDate = "${compat.compatibilityDate}"`);
    expect(capnp).toContain('compatibilityFlags = ["nodejs_compat"]');
  });

  it('serves the Caddyfile under workerd, and keeps serving across config refreshes', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-selfhost-'));
    writeFileSync(join(dir, 'Caddyfile'), ':8080 {\n\trespond "self-hosted {path}" 200\n}\n');
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'selfhost', '--listen', `127.0.0.1:${port}`], {
      cwd: dir,
      stdio: 'pipe',
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    try {
      let body = '';
      for (let i = 0; i < 120 && !body; i++) {
        await new Promise((r) => setTimeout(r, 500));
        body = await fetch(`http://127.0.0.1:${port}/hello`).then(
          (r) => r.text(),
          () => '',
        );
      }
      expect(body, log).toBe('self-hosted /hello');
      // Past the config refresh interval (5 s) the isolate re-reads the config store in the background: that must
      // work from any later request (a Durable Object stub kept from the first request would fail here).
      await new Promise((r) => setTimeout(r, 5500));
      for (let i = 0; i < 3; i++) {
        expect(await fetch(`http://127.0.0.1:${port}/again${i}`).then((r) => r.text())).toBe(`self-hosted /again${i}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(log).not.toMatch(/config store unreachable|Cannot perform I\/O/);
    } finally {
      child.kill('SIGINT');
    }
  });
});
