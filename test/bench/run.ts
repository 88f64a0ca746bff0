// `npm run bench`: every Gatehouse benchmark in one run, printed as one table.
// Env: BENCH_ROUNDS (rounds in which every HTTP contender takes a turn, default 5), BENCH_SECONDS (per wrk run,
// default 4), BENCH_CONNECTIONS (default 32), BENCH_STREAM_MB (default 200),
// BENCH_HTTP=0 to skip the HTTP part (wrk, workerd, caddy); BENCH_INSTR=0 to skip the instruction count (callgrind),
// BENCH_INSTR_N (requests counted per contender, default 1000), BENCH_INSTR_WARM (uninstrumented before, default 4000),
// BENCH_DO_BILL=0 to skip the Durable Object bill simulation (test/bench/do-bill.ts), BENCH_SCALE=0 to skip the
// config scale table (test/bench/scale.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { ROOT } from './servers.ts';
import { BUNDLE_LIMIT_GZIP_BYTES, BUNDLE_TARGET_GZIP_BYTES, buildBundle } from './bundle.ts';
import { measureColdStart, measureWorkerdStart } from './cold-start.ts';
import { httpBench, instructionRows } from './http.ts';
import { microBench } from './micro.ts';
import { printTable, type Row } from './table.ts';
import { doBillRows } from './do-bill.ts';
import { spawnSync } from 'node:child_process';

const env = process.env;
const rows: Row[] = await microBench();

const bundle = buildBundle();
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
rows.push([
  'bundle (wrangler deploy --dry-run)',
  `${kb(bundle.gzipBytes)} gz`,
  `${kb(bundle.rawBytes)} raw; target < ${kb(BUNDLE_TARGET_GZIP_BYTES)} gz, CI fails above ${kb(BUNDLE_LIMIT_GZIP_BYTES)}`,
]);
const deployedJson = JSON.stringify(
  adaptCaddyfile(readFileSync(join(ROOT, 'Caddyfile'), 'utf8'), { filename: 'Caddyfile', env: {} }).config,
);
const cold = measureColdStart(bundle.dir);
const baked = measureColdStart(bundle.dir, cold.runs, deployedJson);
const ms = (n: number) => `${n.toFixed(1)} ms`;
rows.push([
  'cold start: V8 compiles the bundle',
  ms(baked.compileMs),
  `${kb(bundle.rawBytes)} of JavaScript, before any of it runs; fresh Node process, median of ${baked.runs}`,
]);
for (const [what, c] of [
  ['bundled Caddyfile', cold],
  ['deployed', baked],
] as const) {
  rows.push([
    `cold start: module evaluation + config compile, ${what}`,
    ms(c.evaluateMs),
    (what === 'deployed'
      ? 'compiles the config `gatehouse deploy` bakes in'
      : 'adapts (unless the build did) and compiles the bundled Caddyfile') +
      ` while the modules evaluate; fastest run ${ms(c.minEvaluateMs)}; target < 5 ms (median)${c.evaluateMs < 5 ? ' (met)' : ' (NOT met)'}`,
  ]);
}
rows.push([
  'cold start: first request, deployed',
  ms(baked.firstRequestMs),
  `GET / served with the compiled config (status ${baked.status}); whole cold start (compile + evaluate + first request) ` +
    `${ms(baked.totalMs)}, fastest run ${ms(baked.minTotalMs)}`,
]);
for (const [what, json] of [
  ['bundled Caddyfile', ''],
  ['deployed', deployedJson],
] as const) {
  const w = await measureWorkerdStart(bundle.dir, 15, json);
  rows.push([
    `cold start in workerd, ${what}`,
    `+${ms(w.gatehouseMs - w.emptyMs)}`,
    `workerd start to first response: ${ms(w.gatehouseMs)}, an empty Worker's ${ms(w.emptyMs)}; median of ${w.runs}`,
  ]);
}

if (env.BENCH_HTTP !== '0') {
  rows.push(
    ...(await httpBench({
      seconds: Number(env.BENCH_SECONDS ?? 4),
      rounds: Number(env.BENCH_ROUNDS ?? 5),
      connections: Number(env.BENCH_CONNECTIONS ?? 32),
      streamMb: Number(env.BENCH_STREAM_MB ?? 200),
    })),
  );
}

if (env.BENCH_INSTR !== '0') {
  rows.push(
    ...(await instructionRows({ warm: Number(env.BENCH_INSTR_WARM ?? 4000), n: Number(env.BENCH_INSTR_N ?? 1000) })),
  );
}

if (env.BENCH_DO_BILL !== '0') {
  // In a process of its own: the simulation replaces the clock and timers of the process it runs in.
  const sim = spawnSync(process.execPath, [join(ROOT, 'test/bench/do-bill.ts'), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (sim.status === 0) rows.push(...doBillRows(JSON.parse(sim.stdout)));
  else rows.push(['Durable Object bill simulation', 'failed', `exit status ${sim.status}`]);
}

if (env.BENCH_SCALE !== '0') {
  // In a process of its own, with --expose-gc, so that the heap a compiled config holds can be measured.
  const scale = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'test/bench/scale.ts'), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (scale.status === 0) rows.push(...(JSON.parse(scale.stdout) as Row[]));
  else rows.push(['config scale', 'failed', `exit status ${scale.status}`]);
}

printTable(
  `Gatehouse benchmarks (node ${process.version}, ${new Date().toISOString().slice(0, 10)}, loopback, one run)`,
  rows,
);
