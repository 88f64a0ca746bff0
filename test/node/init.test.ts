import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMPATIBILITY_DATE,
  COMPATIBILITY_FLAGS,
  DURABLE_OBJECTS,
  starterWranglerToml,
} from '../../src/cli/init-files.ts';
import { main } from '../../src/cli/main.ts';
import { compatibilityOf } from '../../src/cli/selfhost-config.ts';

// `gatehouse init` in a user's directory: what it writes, and that it never overwrites.

async function init(dir: string, args: string[] = []) {
  let out = '';
  let err = '';
  const code = await main(['init', ...args], {
    cwd: dir,
    env: {},
    out: (t) => (out += t),
    err: (t) => (err += t),
    readStdin: async () => '',
  });
  return { code, out, err };
}

function project(name = 'My Shop API'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gatehouse-init-')), name);
  mkdirSync(dir);
  return dir;
}

describe('gatehouse init', () => {
  it('writes a Caddyfile, a wrangler.toml named after the directory and the .gitignore lines', async () => {
    const dir = project();
    const r = await init(dir);
    expect(r.code).toBe(0);
    const toml = readFileSync(join(dir, 'wrangler.toml'), 'utf8');
    expect(toml).toMatch(/^name = "my-shop-api"$/m);
    expect(toml).toMatch(/^main = "node_modules\/gatehouse\/src\/index\.ts"$/m);
    expect(toml).toMatch(/^# routes = \[\{ pattern = "api\.example\.com", custom_domain = true \}\]$/m);
    expect(toml).not.toMatch(/^\[build\]/m);
    expect(readFileSync(join(dir, 'Caddyfile'), 'utf8')).toContain(':8080 {');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('.dev.vars\n.gatehouse/\n.wrangler/\n');
    expect(r.err).toContain('wrote wrangler.toml');
    // Not installed in this directory yet: init says how, and main points where npm install will put it.
    expect(r.err).toContain('npm install --save-dev gatehouse');
  });

  it('takes the Worker name from --name, and refuses one wrangler would not accept', async () => {
    const dir = project();
    expect((await init(dir, ['--name', 'edge-gw'])).code).toBe(0);
    expect(readFileSync(join(dir, 'wrangler.toml'), 'utf8')).toMatch(/^name = "edge-gw"$/m);
    const bad = await init(project(), ['--name', 'Edge_GW']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--name "Edge_GW"');
  });

  it('leaves existing files alone, says which, and adds only the missing .gitignore lines', async () => {
    const dir = project();
    writeFileSync(join(dir, 'Caddyfile'), 'mine\n');
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.wrangler\n');
    const r = await init(dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'Caddyfile'), 'utf8')).toBe('mine\n');
    expect(r.err).toContain('skipped Caddyfile: it exists');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.wrangler\n.dev.vars\n.gatehouse/\n');
    const again = await init(dir);
    expect(again.err).toContain('skipped wrangler.toml: it exists');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.wrangler\n.dev.vars\n.gatehouse/\n');
  });

  it("writes the compatibility settings and Durable Objects of Gatehouse's own wrangler.toml", () => {
    const own = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
    expect({ compatibilityDate: COMPATIBILITY_DATE, compatibilityFlags: COMPATIBILITY_FLAGS }).toEqual(
      compatibilityOf(own),
    );
    const bindings = (toml: string) =>
      [...toml.matchAll(/name\s*=\s*"([A-Z_]+)"\s*\nclass_name\s*=\s*"(\w+)"/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(bindings(starterWranglerToml('x', 'node_modules/gatehouse'))).toEqual(bindings(own));
    expect(DURABLE_OBJECTS.length).toBe(4);
    const migrations = (toml: string) => /new_sqlite_classes = \[.*\]/.exec(toml)?.[0];
    expect(migrations(starterWranglerToml('x', 'node_modules/gatehouse'))).toBe(migrations(own));
  });

  it('writes a starter Caddyfile that validates and is formatted', async () => {
    const dir = project();
    await init(dir);
    let out = '';
    let err = '';
    const ctx = {
      cwd: dir,
      env: {},
      out: (t: string) => (out += t),
      err: (t: string) => (err += t),
      readStdin: async () => '',
    };
    expect(await main(['validate'], ctx)).toBe(0);
    expect(out).toBe('Valid configuration\n');
    expect(err).toBe('');
  });
});
