import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, freePort } from './local-runtime-helpers.ts';

// Gatehouse as a user gets it: `npm pack`, the tarball installed into an empty project, then init, validate,
// deploy --dry-run and run from that project. The tarball's dependencies are this checkout's node_modules,
// linked in, so the test needs no registry and takes seconds.

const repo = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  files: string[];
  dependencies: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
// The Node running the tests (22, from node_modules/.bin) also runs npm's pack scripts and the installed CLI.
const env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
  WRANGLER_SEND_METRICS: 'false',
};

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Packs a copy of what the package ships (plus the pack scripts), so packing never touches this checkout's build/. */
function pack(): string {
  const stage = join(work, 'stage');
  mkdirSync(stage);
  for (const entry of [...manifest.files, 'package.json', 'scripts/']) {
    if (existsSync(join(repo, entry))) cpSync(join(repo, entry), join(stage, entry), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'));
  const r = spawnSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: stage, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.stderr}${r.stdout}`);
  return join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
}

/** An empty project with the tarball in node_modules/gatehouse and its dependencies beside it. */
function install(tarball: string): string {
  const project = join(work, 'my-api');
  const target = join(project, 'node_modules', 'gatehouse');
  mkdirSync(target, { recursive: true });
  const r = spawnSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  for (const dep of Object.keys(manifest.dependencies))
    symlinkSync(join(repo, 'node_modules', dep), join(project, 'node_modules', dep));
  return project;
}

describe('the packed package in a user project', () => {
  it('installs, and init, validate, deploy --dry-run, selfhost --build-only and run work from the project directory', {
    timeout: 170_000,
  }, async () => {
    const tarball = pack();
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    expect(listing).toContain('package/lib/cli.mjs');
    expect(listing).toContain('package/build/bundled-caddyfile.adapted');
    expect(listing.some((f) => f.startsWith('package/test/'))).toBe(false);
    expect(listing).not.toContain('package/Caddyfile');

    const project = install(tarball);
    const cli = join(project, 'node_modules/gatehouse/bin/gatehouse.js');
    const gatehouse = (args: string[]) =>
      spawnSync(process.execPath, [cli, ...args], { cwd: project, env, encoding: 'utf8' });

    const init = gatehouse(['init']);
    expect(init.status, init.stderr).toBe(0);
    const toml = readFileSync(join(project, 'wrangler.toml'), 'utf8');
    expect(toml).toContain('name = "my-api"');
    expect(toml).toContain('main = "node_modules/gatehouse/src/index.ts"');
    expect(readFileSync(join(project, '.gitignore'), 'utf8')).toBe('.dev.vars\n.gatehouse/\n.wrangler/\n');

    const validate = gatehouse(['validate']);
    expect(validate.status, validate.stderr).toBe(0);
    expect(validate.stdout).toBe('Valid configuration\n');

    const deploy = gatehouse(['deploy', '--dry-run', '--outdir', 'out']);
    expect(deploy.status, deploy.stderr + deploy.stdout).toBe(0);
    const bundle = readFileSync(join(project, 'out/index.js'), 'utf8');
    expect(bundle).toContain('Gatehouse is running');
    // The package's own demo Caddyfile is nowhere in the user's Worker.
    expect(bundle).not.toContain('Try /api/hello');
    expect(readdirSync(project).filter((f) => f.startsWith('.wrangler-deploy-'))).toEqual([]);
    // wrangler ran in the project (its state is there), not inside the installed package.
    expect(existsSync(join(project, '.wrangler'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/gatehouse/.wrangler'))).toBe(false);

    const selfhost = gatehouse(['selfhost', '--build-only', '--listen', '127.0.0.1:8787']);
    expect(selfhost.status, selfhost.stderr).toBe(0);
    expect(readFileSync(join(project, '.gatehouse/selfhost/workerd.capnp'), 'utf8')).toContain(
      'className = "ConfigStore"',
    );

    const port = await freePort();
    const run = spawn(process.execPath, [cli, 'run', '--listen', `127.0.0.1:${port}`], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    run.stdout.on('data', (d) => (log += d));
    run.stderr.on('data', (d) => (log += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`run did not start:\n${log}`)), 60_000);
        run.stderr.on('data', () => {
          if (!/listening on http:/.test(log)) return;
          clearTimeout(timer);
          resolve();
        });
        run.on('exit', () => {
          clearTimeout(timer);
          reject(new Error(`run exited:\n${log}`));
        });
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Gatehouse is running');
      // The local build is the project's: its state and build directories are there.
      expect(existsSync(join(project, '.gatehouse/run'))).toBe(true);
    } finally {
      run.kill('SIGINT');
      await exited(run);
    }
  });
});
