import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compatibilityOf } from '../../src/cli/selfhost-config.ts';
import { freePort, ROOT } from './servers.ts';
import { median } from './stats.ts';

// Cold start of the deployable bundle. workerd freezes clocks while JavaScript runs (a Spectre mitigation), so the
// Worker cannot time itself; the same bundle is timed in fresh Node processes (V8, like workerd), in three phases:
// - compile: V8 compiles every JavaScript module of the bundle. workerd does this for every module it is given
//   when the isolate starts, imported or not (its default module registry compiles each module as it registers
//   it), so splitting code into modules loaded by import() would not make workerd compile less.
// - evaluate: linking and running the modules' top-level code, which compiles the config (adapting the bundled
//   Caddyfile first unless it was adapted at build time; src/config/active.ts prepareBaseConfig). On Cloudflare
//   this phase can run during the TLS handshake of the first request; in workerd, before it listens.
// - first request: `fetch` of GET / up to the end of the response body: serving with the compiled config; V8
//   compiles each function the first time it runs, which is most of this phase.
// Node implements fetch's classes (Request, Response, Headers, streams) in JavaScript compiled on first use, where
// workerd's are native: they are warmed up before timing, and a full GC then empties the heap's young generation.
// Otherwise the warm-up's garbage sets off a scavenge of about 1 ms in the evaluate phase of most runs; a new
// workerd isolate starts with an empty young generation, and none runs there (checked with workerd's
// `v8Flags = ["--trace-gc"]`: no collection from start to the end of the first response). Node built-in modules
// the bundle imports are loaded in the evaluate phase, where they cost little because Node has most of them loaded
// already; in workerd each one is a module evaluated in every new isolate (several ms for node:crypto alone), so
// test/node/bundle-size.test.ts requires that there be none.
//
// measureWorkerdStart checks the same in workerd from outside: the time from starting `workerd serve` to the first
// response, against the same for an empty Worker. That difference is what Gatehouse adds to a cold start in the
// real runtime (compile, evaluate, first request, and what workerd does per module), at the resolution of a
// polling client (about a millisecond).

export interface ColdStart {
  compileMs: number;
  evaluateMs: number;
  firstRequestMs: number;
  /** compile + evaluate + first request, median of the per-run sums. */
  totalMs: number;
  /** The fastest run's total: the cost with the least interference from other processes. */
  minTotalMs: number;
  /** The fastest run's evaluate phase. */
  minEvaluateMs: number;
  runs: number;
  status: number;
}

/** The bundle's JavaScript modules and text modules (everything but source maps and wrangler's README). */
function bundleFiles(bundleDir: string): { js: string[]; text: string[] } {
  const files = readdirSync(bundleDir).filter(
    (f) => !f.endsWith('.map') && f !== 'README.md' && !f.startsWith('cold-start-'),
  );
  return { js: files.filter((f) => f.endsWith('.js')), text: files.filter((f) => !f.endsWith('.js')) };
}

/** What the bundle's modules import (static imports, as V8 parses them) other than each other and cloudflare:*. */
export function externalImports(bundleDir: string): string[] {
  const list = `
    import vm from 'node:vm';
    import { readFileSync } from 'node:fs';
    const found = new Set();
    for (const f of process.argv[2].split('/')) {
      const m = new vm.SourceTextModule(readFileSync(process.argv[1] + '/' + f, 'utf8'));
      for (const s of m.dependencySpecifiers) if (!s.startsWith('./') && !s.startsWith('cloudflare:')) found.add(s);
    }
    console.log(JSON.stringify([...found].sort()));`;
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings',
      '--input-type=module',
      '-e',
      list,
      bundleDir,
      bundleFiles(bundleDir).js.join('/'),
    ],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`listing the bundle's imports failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/** index.js as a plain Node ES module: the workerd-only imports (cloudflare:workers, text modules) replaced. */
export function nodeRunnableCopy(bundleDir: string): string {
  let js = readFileSync(join(bundleDir, 'index.js'), 'utf8');
  for (const file of bundleFiles(bundleDir).text) {
    const text = readFileSync(join(bundleDir, file), 'utf8');
    // A minified identifier may contain `$`.
    js = js.replace(
      new RegExp(`import\\s*([\\w$]+)\\s*from\\s*"\\./${file}";?`),
      (_m, name: string) => `const ${name} = ${JSON.stringify(text)};`,
    );
  }
  js = js.replace(
    /from\s*"cloudflare:workers"/g,
    `from "data:text/javascript,export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } } export const env = {};"`,
  );
  const out = join(bundleDir, 'cold-start-node.mjs');
  writeFileSync(out, js);
  return out;
}

// Runs in a fresh `node --experimental-vm-modules` process: argv[1] the bundle directory, argv[2] the JSON of
// GATEHOUSE_CONFIG ('' for none). vm.SourceTextModule is what Node's own loader uses (V8's CompileModule), without
// the loader's file and resolution work, which workerd does not have either.
const PROBE = `
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const [dir, configJson, jsList, textList] = process.argv.slice(1);
{
  const req = new Request('http://warm.up/x?y', { method: 'POST', headers: { a: 'b' }, body: 'x' });
  req.headers.get('a'); new URL(req.url).searchParams.get('y'); await req.text();
  const res = new Response('x', { status: 201, headers: { 'Content-Type': 'text/plain' } });
  res.headers.set('x', 'y'); new Headers(res.headers).forEach(() => {}); await res.text();
  await new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(1)); c.close(); } })).arrayBuffer();
}
globalThis.gc();
const synthetic = (exports) => new vm.SyntheticModule(Object.keys(exports), function () { for (const [k, v] of Object.entries(exports)) this.setExport(k, v); });
// The Worker's bindings, as workerd gives them to the module (importable env) and to each request.
const env = { CONFIG_REFRESH_MS: '5000', ...(configJson ? { GATEHOUSE_CONFIG: configJson } : {}) };
const given = {
  'cloudflare:workers': synthetic({ DurableObject: class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }, env }),
};
for (const f of textList ? textList.split('/') : []) given['./' + f] = synthetic({ default: readFileSync(join(dir, f), 'utf8') });
for (const m of Object.values(given)) { await m.link(() => {}); await m.evaluate(); }
const sources = (jsList ? jsList.split('/') : []).map((f) => [f, readFileSync(join(dir, f), 'utf8')]);

const t0 = performance.now();
const modules = {};
for (const [f, source] of sources) {
  modules['./' + f] = new vm.SourceTextModule(source, { identifier: join(dir, f), importModuleDynamically: (s) => load(s) });
}
const t1 = performance.now();
async function link(s) {
  if (modules[s] ?? given[s]) return modules[s] ?? given[s];
  // A Node built-in (the bundle should have none, see above).
  const builtin = await import(s.startsWith('node:') ? s : 'node:' + s);
  given[s] = synthetic({ ...builtin, default: builtin.default ?? builtin });
  await given[s].link(() => {});
  await given[s].evaluate();
  return given[s];
}
async function load(s) { const m = await link(s); if (m.status === 'unlinked') await m.link(link); if (m.status === 'linked') await m.evaluate(); return m; }
const main = await load('./index.js');
const t2 = performance.now();
const res = await main.namespace.default.fetch(new Request('http://127.0.0.1:8080/'), env, { waitUntil() {}, passThroughOnException() {} });
await res.text();
const t3 = performance.now();
console.log(JSON.stringify({ compileMs: t1 - t0, evaluateMs: t2 - t1, firstRequestMs: t3 - t2, status: res.status }));
`;

/**
 * Medians over `runs` fresh processes. With `configJson` the first request compiles that JSON (what a deployment
 * made by `gatehouse deploy` does: the adapted config is baked in); without, the bundled config.
 */
export function measureColdStart(bundleDir: string, runs = 15, configJson = ''): ColdStart {
  const { js, text } = bundleFiles(bundleDir);
  const samples: Array<Omit<ColdStart, 'totalMs' | 'minTotalMs' | 'minEvaluateMs' | 'runs'>> = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--experimental-vm-modules',
        '--no-warnings',
        '--input-type=module',
        '-e',
        PROBE,
        bundleDir,
        configJson,
        js.join('/'),
        text.join('/'),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`cold start probe failed: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  const totals = samples.map((s) => s.compileMs + s.evaluateMs + s.firstRequestMs);
  return {
    compileMs: median(samples.map((s) => s.compileMs)),
    evaluateMs: median(samples.map((s) => s.evaluateMs)),
    firstRequestMs: median(samples.map((s) => s.firstRequestMs)),
    totalMs: median(totals),
    minTotalMs: Math.min(...totals),
    minEvaluateMs: Math.min(...samples.map((s) => s.evaluateMs)),
    runs,
    status: samples[0].status,
  };
}

export interface WorkerdStart {
  /** Median time from spawning workerd to the first response, with the bundle. */
  gatehouseMs: number;
  /** The same for a Worker that only returns a Response. */
  emptyMs: number;
  runs: number;
}

/** Medians over `runs` alternating starts of workerd with the bundle and with an empty Worker (GET / each). */
export async function measureWorkerdStart(bundleDir: string, runs = 15, configJson = ''): Promise<WorkerdStart> {
  const require = createRequire(import.meta.url);
  const workerd = join(dirname(require.resolve('workerd/package.json')), 'bin', 'workerd');
  const { js, text } = bundleFiles(bundleDir);
  const q = JSON.stringify;
  // Both Workers run as a deployment would: with wrangler.toml's compatibility date and flags.
  const { compatibilityDate, compatibilityFlags } = compatibilityOf(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'));
  const compat = `compatibilityDate = ${q(compatibilityDate)}, compatibilityFlags = [ ${compatibilityFlags.map((f) => q(f)).join(', ')} ]`;
  writeFileSync(join(bundleDir, 'cold-start-empty.js'), "export default { fetch() { return new Response('ok'); } };\n");
  const config = (name: string, modules: string[], bindings: string) => {
    const file = join(bundleDir, `cold-start-${name}.capnp`);
    return (port: number) => {
      writeFileSync(
        file,
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ], sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ] );
const w :Workerd.Worker = ( modules = [ ${modules.join(', ')} ], ${compat}, bindings = [ ${bindings} ] );
`,
      );
      return file;
    };
  };
  const gatehouse = config(
    'gatehouse',
    [
      `(name = "index.js", esModule = embed "index.js")`,
      ...js.filter((f) => f !== 'index.js').map((f) => `(name = ${q(f)}, esModule = embed ${q(f)})`),
      ...text.map((f) => `(name = ${q(f)}, text = embed ${q(f)})`),
    ],
    configJson ? `(name = "GATEHOUSE_CONFIG", text = ${q(configJson)})` : '',
  );
  const empty = config('empty', ['(name = "index.js", esModule = embed "cold-start-empty.js")'], '');
  const start = async (capnp: (port: number) => string): Promise<number> => {
    const port = await freePort();
    const file = capnp(port);
    const t0 = performance.now();
    const child = spawn(workerd, ['serve', file, '--experimental'], { stdio: 'ignore' });
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}) with ${file}`);
        if (performance.now() - t0 > 10_000) throw new Error(`workerd did not answer within 10 s with ${file}`);
        const answered = await fetch(`http://127.0.0.1:${port}/`).then(
          async (r) => {
            await r.arrayBuffer();
            return true;
          },
          () => false,
        );
        if (answered) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  };
  const g: number[] = [];
  const e: number[] = [];
  // Unmeasured first starts: the first reads workerd and the bundle from disk.
  await start(empty);
  await start(gatehouse);
  for (let i = 0; i < runs; i++) {
    g.push(await start(gatehouse));
    e.push(await start(empty));
  }
  return { gatehouseMs: median(g), emptyMs: median(e), runs };
}
