// Scale of config: Caddyfiles of 20 to 20,000 routes, mostly host-based sites (a SaaS gateway's shape) with path and
// header routes mixed in. Per size: adapt and compile time, the adapted JSON's size, the heap the compiled config
// holds, and route evaluation over hits and misses (Node, static responses, no I/O). `node test/bench/scale.ts`
// prints the table alone; `npm run bench` includes it (BENCH_SCALE=0 skips it).
import { gzipSync } from 'node:zlib';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { percentiles } from './stats.ts';
import { printTable, type Row } from './table.ts';

export const SCALE_SIZES = [20, 200, 2000, 20_000];

/** `routes` routes: 90% `tN.example.com` sites, the rest path and header routes on a catch-all site. */
export function scaleCaddyfile(routes: number): string {
  const sites = Math.ceil(routes * 0.9);
  const out: string[] = [];
  for (let i = 0; i < sites; i++) {
    out.push(`t${i}.example.com:8080 {`, `\theader X-Tenant ${i}`, `\trespond "tenant ${i}"`, '}');
  }
  out.push(':8080 {');
  for (let i = 0; i < routes - sites; i++) {
    if (i % 2 === 0) out.push(`\thandle /p${i}/* {`, `\t\trespond "path ${i}"`, '\t}');
    else out.push(`\t@k${i} header X-Key k${i}`, `\trespond @k${i} "key ${i}"`);
  }
  out.push('\trespond "fallthrough"', '}');
  return out.join('\n');
}

/** Requests spread over the config: hosts early, late and unknown, a late path, a late header, a miss. */
function scaleRequests(routes: number): Array<[string, Record<string, string>]> {
  const sites = Math.ceil(routes * 0.9);
  const rest = routes - sites;
  const lastPath = rest > 0 ? rest - 1 - ((rest - 1) % 2) : 0;
  const lastKey = rest > 1 ? rest - 1 - (rest % 2) : 1;
  return [
    ['http://t0.example.com:8080/', {}],
    [`http://t${sites - 1}.example.com:8080/x`, {}],
    [`http://t${Math.floor(sites / 2)}.example.com:8080/`, {}],
    ['http://unknown.example.com:8080/', {}],
    [`http://127.0.0.1:8080/p${lastPath}/a`, {}],
    ['http://127.0.0.1:8080/none', { 'X-Key': `k${lastKey}` }],
  ];
}

const opts = { filename: 'Caddyfile', env: {} };

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

export interface ScaleResult {
  routes: number;
  adaptMs: number;
  compileMs: number;
  jsonBytes: number;
  gzipBytes: number;
  heapBytes: number | undefined;
  p50Us: number;
  p99Us: number;
}

export async function measureScale(routes: number, rounds = 6000): Promise<ScaleResult> {
  const text = scaleCaddyfile(routes);
  let t0 = performance.now();
  const config = adaptCaddyfile(text, opts).config;
  const adaptMs = performance.now() - t0;
  const json = JSON.stringify(config);
  const canMeasureHeap = typeof (globalThis as { gc?: unknown }).gc === 'function';
  const before = heapUsed();
  t0 = performance.now();
  const compiled = compileConfig(JSON.parse(json));
  const compileMs = performance.now() - t0;
  const heapBytes = canMeasureHeap ? heapUsed() - before : undefined;
  const requests = scaleRequests(routes).map(([url, headers]) => new Request(url, { headers }));
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const req = requests[i % requests.length].clone();
    const s = performance.now();
    const res = await compiled.serve(req, {}, undefined, { remoteIp: '127.0.0.1' });
    const e = performance.now();
    await res.arrayBuffer();
    if (i >= rounds / 3) samples.push(e - s);
  }
  const { p50, p99 } = percentiles(samples);
  return {
    routes,
    adaptMs,
    compileMs,
    jsonBytes: json.length,
    gzipBytes: gzipSync(json).length,
    heapBytes,
    p50Us: p50,
    p99Us: p99,
  };
}

export async function scaleRows(): Promise<Row[]> {
  const results: ScaleResult[] = [];
  for (const n of SCALE_SIZES) results.push(await measureScale(n));
  const base = results.find((r) => r.routes === 200)!;
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  return results.map((r) => [
    `scale: ${r.routes.toLocaleString('en')} routes`,
    `${r.p50Us.toFixed(1)} µs`,
    `route eval p50 (p99 ${r.p99Us.toFixed(1)} µs; ${(r.p50Us / base.p50Us).toFixed(2)} × 200 routes, target ≤ 2); ` +
      `adapt ${r.adaptMs.toFixed(0)} ms, compile ${r.compileMs.toFixed(0)} ms; JSON ${kb(r.jsonBytes)} (${kb(r.gzipBytes)} gz)` +
      (r.heapBytes === undefined ? '' : `; heap held by the compiled config ${(r.heapBytes / 2 ** 20).toFixed(1)} MB`),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await scaleRows();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
  else printTable('Gatehouse config scale (Node, no I/O; run with --expose-gc for the heap column)', rows);
}
