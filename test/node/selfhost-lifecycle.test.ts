import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, freePort, startGatehouse } from './local-runtime-helpers.ts';

// The config a user starts with is the config served: `gatehouse selfhost` restarted on the same data directory
// with an edited Caddyfile serves the edit, and a version loaded through the admin API stays until the Caddyfile
// changes (README, "Which config serves").

const TOKEN = 'lifecycle-admin-token';

async function serve(dir: string, body: string, port: number): Promise<Awaited<ReturnType<typeof startGatehouse>>> {
  writeFileSync(join(dir, 'Caddyfile'), `:8080 {\n\trespond "${body}"\n}\n`);
  return startGatehouse(['selfhost', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], dir, {
    ADMIN_TOKEN: TOKEN,
  });
}

async function stop(g: Awaited<ReturnType<typeof startGatehouse>>): Promise<void> {
  g.child.kill('SIGINT');
  await exited(g.child);
}

const get = (port: number) => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());

describe('gatehouse selfhost across restarts on one data directory', () => {
  it('serves an edited Caddyfile after a restart; an admin load survives a restart with the same Caddyfile', {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-lifecycle-'));
    const port = await freePort();

    let g = await serve(dir, 'config A', port);
    try {
      expect(await get(port)).toBe('config A');
      const loaded = await fetch(`http://127.0.0.1:${port}/gatehouse-admin/load`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/caddyfile' },
        body: ':8080 {\n\trespond "admin loaded"\n}\n',
      });
      expect(loaded.status, await loaded.text()).toBe(200);
      expect(await get(port)).toBe('admin loaded');
    } finally {
      await stop(g);
    }

    // The same Caddyfile again: the admin change is kept (the deployed config did not change).
    g = await serve(dir, 'config A', port);
    try {
      expect(await get(port)).toBe('admin loaded');
    } finally {
      await stop(g);
    }

    // An edited Caddyfile: it serves, whatever the store held.
    g = await serve(dir, 'config B', port);
    try {
      expect(await get(port)).toBe('config B');
    } finally {
      await stop(g);
    }
  });
});
