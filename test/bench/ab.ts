// Instructions per request of (b) and (c) for two builds, alternating in one run, so that a change is judged by the
// difference of means rather than against the drift between runs:
//   git worktree add /tmp/before <rev> && cp -al node_modules /tmp/before/node_modules
//   node test/bench/ab.ts /tmp/before        (AB_ROUNDS, default 4; BENCH_INSTR_N, default 2000)
import { resolve } from 'node:path';
import { manyRoutesCaddyfile, minimalCaddyfile } from './caddyfiles.ts';
import { instructionsPerRequest, type InstructionContender } from './instructions.ts';
import * as after from './servers.ts';

const beforeTree = process.argv[2];
if (!beforeTree) throw new Error('usage: node test/bench/ab.ts <checkout of the build before>');
const before = (await import(resolve(beforeTree, 'test/bench/servers.ts'))) as typeof after;
const rounds = Number(process.env.AB_ROUNDS ?? 4);
const builds = [
  ['before', before],
  ['after', after],
] as const;

const contenders: InstructionContender[] = [];
for (let r = 0; r < rounds; r++) {
  for (const [tag, lib] of builds) {
    contenders.push({ name: `(b) ${tag}`, config: (p, ups) => lib.buildGatehouse(minimalCaddyfile(p, ups[0]), p) });
    contenders.push({ name: `(c) ${tag}`, config: (p, ups) => lib.buildGatehouse(manyRoutesCaddyfile(p, ups), p) });
  }
}
const n = Number(process.env.BENCH_INSTR_N ?? 2000);
const results = await instructionsPerRequest(contenders, { warm: 4000, n, concurrency: 4, upstreams: 3 });
const counts = new Map<string, number[]>();
for (const r of results) {
  if (!('kIrPerRequest' in r)) throw new Error(`${r.name}: ${r.skipped}`);
  console.log(`${r.name}: ${r.kIrPerRequest.toFixed(1)} kIr/request`);
  counts.set(r.name, [...(counts.get(r.name) ?? []), r.kIrPerRequest]);
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
for (const c of ['(b)', '(c)']) {
  const b = mean(counts.get(`${c} before`)!);
  const a = mean(counts.get(`${c} after`)!);
  console.log(`${c}: ${b.toFixed(1)}k before, ${a.toFixed(1)}k after (${(((a - b) / b) * 100).toFixed(2)}%)`);
}
