import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployWranglerConfig } from '../../src/cli/deploy-config.ts';
import { bin, exited } from './local-runtime-helpers.ts';

// `gatehouse deploy` bakes the adapted config into the bundle without putting it on wrangler's command line.

/** The CLI in `cwd`, its output collected. */
function startCli(
  args: string[],
  cwd: string,
): { child: ChildProcessByStdio<null, Readable, Readable>; log(): string } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  return { child, log: () => log };
}

describe('gatehouse deploy', () => {
  it('bakes the config into the bundle through a generated wrangler config, not a command line', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));
    const marker = 'deploy-marker-5d1e';
    writeFileSync(join(dir, 'Caddyfile'), `:8080 {\n\trespond "${marker}" 200\n}\n`);
    const { child, log } = startCli(['deploy', '--dry-run', '--outdir', join(dir, 'out')], dir);
    const lines = new Set<string>();
    const sampler = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (/wrangler|esbuild|gatehouse/.test(line)) lines.add(line.replaceAll('\0', ' '));
        } catch {
          // gone
        }
      }
    }, 20);
    const code = await exited(child);
    clearInterval(sampler);
    expect(code, log()).toBe(0);
    expect([...lines].some((l) => l.includes(' deploy ') && l.includes('wrangler'))).toBe(true);
    for (const line of lines) expect(line).not.toContain(marker);
    expect(readFileSync(join(dir, 'out/index.js'), 'utf8')).toContain(marker);
    const root = new URL('../../', import.meta.url).pathname;
    expect(readdirSync(root).filter((f) => f.startsWith('.wrangler-deploy-'))).toEqual([]);
    expect(existsSync(join(dir, 'out/index.js'))).toBe(true);
  });

  it('deploy --config X bakes X and only X: the demo Caddyfile is not in the bundle', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));
    writeFileSync(join(dir, 'mine.caddyfile'), ':8080 {\n\trespond "mine-only-7c2a" 200\n}\n');
    const { child, log } = startCli(
      ['deploy', '--config', 'mine.caddyfile', '--dry-run', '--outdir', join(dir, 'out')],
      dir,
    );
    expect(await exited(child), log()).toBe(0);
    const bundle = readFileSync(join(dir, 'out/index.js'), 'utf8');
    expect(bundle).toContain('mine-only-7c2a');
    expect(bundle).not.toContain('Gatehouse is running. Try /api/hello');
  });

  it('puts the define in the environment wrangler deploys with --env (define is not inherited)', () => {
    const json = '{"a":"\\"q\\" \\u2028"}';
    const toml = deployWranglerConfig('name = "g"\n', json, 'staging', 1764800000000);
    const m = /\n\[env\."staging"\.define\]\nGATEHOUSE_BAKED_CONFIG = (".*")\nGATEHOUSE_DEPLOYED_AT = "(\d+)"\n$/.exec(
      toml,
    );
    // The TOML string holds JavaScript source: a string literal whose value is the config JSON, unchanged.
    expect(JSON.parse(JSON.parse(m![1]))).toBe(json);
    // And the deploy's time as a number literal, which orders deploys in the config store.
    expect(Number(m![2])).toBe(1764800000000);
  });
});
