import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assetsDirectory, checkUploadable } from '../../src/cli/assets-dir.ts';
import { deployWranglerConfig } from '../../src/cli/deploy-config.ts';
import { selfhostConfig } from '../../src/cli/selfhost-config.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { bin, exited, freePort } from './local-runtime-helpers.ts';

// Static files: a site's root is the one static-assets directory; deploy writes it into the wrangler config, the
// local runtimes serve it from disk through a workerd disk service bound as ASSETS.

function project(caddyfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-static-'));
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  mkdirSync(join(dir, 'public/docs'), { recursive: true });
  writeFileSync(join(dir, 'public/index.html'), '<h1>spa</h1>');
  writeFileSync(join(dir, 'public/app.js'), 'console.log("app")');
  writeFileSync(join(dir, 'public/app.js.gz'), gzipSync('console.log("gz")'));
  writeFileSync(join(dir, 'public/docs/index.html'), 'docs');
  writeFileSync(join(dir, 'public/404.html'), 'not here');
  writeFileSync(join(dir, 'public/notes.secret'), 'hidden');
  return dir;
}

const adapt = (text: string) => adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config;

describe('the static-assets directory', () => {
  it('is the root, relative to the Caddyfile; none without file_server or a file matcher', () => {
    expect(assetsDirectory(adapt(':80 {\n\troot * ./public\n\tfile_server\n}\n'), '/srv/site/Caddyfile')).toBe(
      '/srv/site/public',
    );
    expect(assetsDirectory(adapt(':80 {\n\ttry_files {path} /index.html\n}\n'), '/srv/site/Caddyfile')).toBe(
      '/srv/site',
    );
    expect(
      assetsDirectory(adapt(':80 {\n\troot * ./public\n\trespond "hi"\n}\n'), '/srv/site/Caddyfile'),
    ).toBeUndefined();
  });

  it('refuses roots one directory cannot express, and placeholders, naming the line', () => {
    const dir = project(
      'a.test {\n\troot * ./public\n\tfile_server\n}\nb.test {\n\troot * ./other\n\tfile_server\n}\n',
    );
    const two = adapt('a.test {\n\troot * ./public\n\tfile_server\n}\nb.test {\n\troot * ./other\n\tfile_server\n}\n');
    expect(() => assetsDirectory(two, join(dir, 'Caddyfile'))).toThrow(
      `${join(dir, 'Caddyfile')}:6: root "./other" differs from root "./public"`,
    );
    expect(() =>
      assetsDirectory(adapt(':80 {\n\troot * /srv/{host}\n\tfile_server\n}\n'), join(dir, 'Caddyfile')),
    ).toThrow(/has a placeholder/);
  });

  it('is never a directory holding secrets or local builds, unless a .assetsignore says what to leave out', () => {
    const dir = project(':80 {\n\tfile_server\n}\n');
    checkUploadable(dir, 'Caddyfile');
    writeFileSync(join(dir, '.dev.vars'), 'ADMIN_TOKEN=x\n');
    expect(() => checkUploadable(dir, 'Caddyfile')).toThrow(
      `Caddyfile: the static-assets directory ${dir} holds .dev.vars, which deploy would upload`,
    );
    writeFileSync(join(dir, '.assetsignore'), '.dev.vars\n');
    checkUploadable(dir, 'Caddyfile');
  });

  it("deploys with an [assets] table: the Worker first, the binding's html and 404 handling off", () => {
    const toml = deployWranglerConfig('name = "g"\n', '{}', undefined, 1, '/srv/site/public');
    expect(toml).toContain(
      '\n[assets]\ndirectory = "/srv/site/public"\nbinding = "ASSETS"\nrun_worker_first = true\nhtml_handling = "none"\nnot_found_handling = "none"\n',
    );
    expect(deployWranglerConfig('name = "g"\n', '{}', undefined, 1)).not.toContain('[assets]');
  });

  it('is a read-only disk service bound as ASSETS in the local runtimes', () => {
    const capnp = selfhostConfig({
      modules: [{ name: 'index.js', kind: 'esModule' }],
      dataDir: '/d',
      listen: 'unix:/s',
      compatibilityDate: '2026-11-01',
      vars: {},
      durableObjects: [],
      assetsDir: '/srv/site/public',
    });
    expect(capnp).toContain('(name = "assets", disk = (path = "/srv/site/public", writable = false))');
    expect(capnp).toContain('(name = "ASSETS", service = "assets")');
  });

  it('gatehouse validate accepts root + file_server', () => {
    const dir = project(':8080 {\n\troot * ./public\n\tfile_server\n}\n');
    const out = spawnSync(process.execPath, [bin, 'validate'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    expect(out.stdout + out.stderr).toContain('Valid configuration');
    expect(out.status).toBe(0);
  });
});

describe('gatehouse selfhost serves files from disk', () => {
  it('file_server, SPA try_files, index, hide, 404 -> handle_errors, pass_thru', { timeout: 120_000 }, async () => {
    const dir = project(
      ':8080 {\n\troot * ./public\n' +
        '\thandle /api/* {\n\t\tfile_server {\n\t\t\tpass_thru\n\t\t}\n\t\trespond "api {path}"\n\t}\n' +
        '\thandle /app/* {\n\t\ttry_files {path} /index.html\n\t\tfile_server\n\t}\n' +
        '\tfile_server {\n\t\thide *.secret\n\t\tprecompressed gzip\n\t}\n' +
        '\thandle_errors {\n\t\trewrite * /{err.status_code}.html\n\t\tfile_server\n\t}\n}\n',
    );
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'selfhost', '--listen', `127.0.0.1:${port}`], {
      cwd: dir,
      stdio: 'pipe',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    // identity unless a test asks: Node's fetch would otherwise accept gzip and get the precompressed sibling
    const get = (p: string, init: { headers?: Record<string, string> } = {}) =>
      fetch(`http://127.0.0.1:${port}${p}`, {
        redirect: 'manual',
        headers: { 'accept-encoding': 'identity', ...init.headers },
      });
    try {
      let up = false;
      for (let i = 0; i < 200 && !up; i++) {
        await new Promise((r) => setTimeout(r, 500));
        up = await get('/app.js').then(
          (r) => r.status === 200,
          () => false,
        );
      }
      expect(up, log).toBe(true);
      const js = await get('/app.js');
      expect(await js.text()).toBe('console.log("app")');
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const etag = js.headers.get('etag')!;
      expect(etag).toMatch(/^"[0-9a-z]+"$/);
      expect((await get('/app.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
      const gz = await get('/app.js', { headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(gz.headers.get('vary')).toBe('Accept-Encoding');
      expect(gz.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await gz.text()).toBe('console.log("gz")');
      const range = await get('/app.js', { headers: { range: 'bytes=0-6' } });
      expect(range.status).toBe(206);
      expect(await range.text()).toBe('console');
      expect(await (await get('/')).text()).toBe('<h1>spa</h1>');
      const dirRedirect = await get('/docs');
      expect(dirRedirect.status).toBe(308);
      expect(dirRedirect.headers.get('location')).toBe('/docs/');
      expect(await (await get('/docs/')).text()).toBe('docs');
      expect(await (await get('/app/users/7')).text()).toBe('<h1>spa</h1>');
      const hidden = await get('/notes.secret');
      expect(hidden.status).toBe(404);
      expect(await hidden.text()).toBe('not here');
      const caddyfile = await get('/../Caddyfile');
      expect(caddyfile.status).toBe(404);
      expect(await (await get('/missing.png')).text()).toBe('not here');
      expect(await (await get('/api/x')).text()).toBe('api /api/x');
    } finally {
      child.kill('SIGINT');
      await exited(child);
    }
  });
});
