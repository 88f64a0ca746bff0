import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';

// scripts/pre-adapt-caddyfile.mjs, which wrangler runs before it bundles: the bundled Caddyfile's JSON, unless
// that JSON would depend on the Worker's vars (or there is none).

const script = new URL('../../scripts/pre-adapt-caddyfile.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pre-adapt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function preAdapt(caddyfile: string, env: Record<string, string> = {}): { caddyfile: string; config: unknown } {
  const input = join(dir, 'Caddyfile');
  const output = join(dir, 'out.adapted');
  writeFileSync(input, caddyfile);
  const r = spawnSync(process.execPath, [script, input, output], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(readFileSync(output, 'utf8'));
}

describe('pre-adapting the bundled Caddyfile', () => {
  it('writes the text and the JSON `caddy adapt` would print', () => {
    const text = ':8080 {\n\theader X-A b\n\trespond "hi {path}" 200\n}\n';
    expect(preAdapt(text)).toEqual({
      caddyfile: text,
      config: adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config,
    });
  });

  it('leaves a Caddyfile with {$VAR} placeholders to the Worker, which has the vars', () => {
    expect(preAdapt(':{$PORT:8080} {\n\trespond "hi" 200\n}\n').config).toBeNull();
    expect(preAdapt(':8080 {\n\trespond "{$GREETING}" 200\n}\n').config).toBeNull();
  });

  it('adapts a Caddyfile whose only {$ is a literal {$}', () => {
    const text = ':8080 {\n\trespond "{$}" 200\n}\n';
    expect(preAdapt(text).config).toEqual(adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config);
  });

  it('leaves a Caddyfile that does not adapt to the Worker, which reports it', () => {
    expect(preAdapt(':8080 {\n\tnot_a_directive\n}\n').config).toBeNull();
  });

  it('bundles no Caddyfile with GATEHOUSE_BUNDLED_CADDYFILE=none (a deploy bakes its own; the package ships none)', () => {
    expect(preAdapt(':8080 {\n\trespond demo\n}\n', { GATEHOUSE_BUNDLED_CADDYFILE: 'none' })).toEqual({
      caddyfile: '',
      config: null,
    });
  });
});
