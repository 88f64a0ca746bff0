import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { wranglerBin } from '../../src/cli/wrangler.ts';
import { ROOT } from './servers.ts';

// The deployable bundle, built exactly as `wrangler deploy` would upload it (`--dry-run`), and its size.

/** Cloudflare's size check is on the gzipped upload; CI fails above this (issue 9 §4). */
export const BUNDLE_LIMIT_GZIP_BYTES = 400 * 1024;
export const BUNDLE_TARGET_GZIP_BYTES = 200 * 1024;

export interface Bundle {
  dir: string;
  rawBytes: number;
  gzipBytes: number;
}

export function buildBundle(): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bundle-'));
  const r = spawnSync(process.execPath, [wranglerBin(), 'deploy', '--dry-run', '--outdir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stderr || r.stdout}`);
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const f of readdirSync(dir).filter((f) => !f.endsWith('.map') && f !== 'README.md')) {
    const data = readFileSync(join(dir, f));
    rawBytes += data.length;
    gzipBytes += gzipSync(data).length;
  }
  return { dir, rawBytes, gzipBytes };
}
