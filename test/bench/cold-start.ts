import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Cold start of the deployable bundle: evaluating its modules, then the first request, which adapts and compiles the
// bundled default Caddyfile. workerd freezes clocks while JavaScript runs (a Spectre mitigation), so the Worker
// cannot time itself; the same bundle is timed in a fresh Node process (V8, like workerd) instead, with the two
// workerd-only imports (cloudflare:workers, the Caddyfile text module) replaced by equivalents.

export interface ColdStart {
  moduleEvalMs: number;
  firstRequestMs: number;
  status: number;
}

export function nodeRunnableCopy(bundleDir: string): string {
  let js = readFileSync(join(bundleDir, 'index.js'), 'utf8');
  for (const file of readdirSync(bundleDir).filter((f) => f.endsWith('-Caddyfile'))) {
    const text = readFileSync(join(bundleDir, file), 'utf8');
    js = js.replace(new RegExp(`import\\s*(\\w+)\\s*from\\s*"\\./${file}";?`), (_m, name: string) => `const ${name} = ${JSON.stringify(text)};`);
  }
  js = js.replace(/from\s*"cloudflare:workers"/g, `from "data:text/javascript,export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }"`);
  const out = join(bundleDir, 'cold-start-node.mjs');
  writeFileSync(out, js);
  return out;
}

// Node's own built-ins (which the bundle's nodejs_compat imports map to) load before timing: in workerd they are
// part of the runtime, not of the Worker.
const PROBE = `
for (const m of ['util', 'url', 'http', 'https', 'zlib', 'fs', 'process', 'perf_hooks', 'v8', 'cluster', 'crypto']) await import('node:' + m);
new Request('http://preload/');
const t0 = performance.now();
const mod = await import(process.argv[1]);
const t1 = performance.now();
const env = { CONFIG_REFRESH_MS: '5000', ...(process.argv[2] ? { GATEHOUSE_CONFIG: process.argv[2] } : {}) };
const res = await mod.default.fetch(new Request('http://127.0.0.1:8080/'), env, { waitUntil() {}, passThroughOnException() {} });
await res.text();
const t2 = performance.now();
console.log(JSON.stringify({ moduleEvalMs: t1 - t0, firstRequestMs: t2 - t1, status: res.status }));
`;

/**
 * Median over `runs` fresh processes. With `configJson` the first request compiles that JSON (what a deployment
 * made by `gatehouse deploy` does: the adapted config is baked in); without, it adapts the bundled Caddyfile first.
 */
export function measureColdStart(bundleDir: string, runs = 7, configJson = ''): ColdStart {
  const file = nodeRunnableCopy(bundleDir);
  const samples: ColdStart[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, file, configJson], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold start probe failed: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ColdStart);
  }
  const median = (pick: (s: ColdStart) => number) => samples.map(pick).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  return { moduleEvalMs: median((s) => s.moduleEvalMs), firstRequestMs: median((s) => s.firstRequestMs), status: samples[0].status };
}
