import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import {
  loggedCaddyfile,
  manyRoutesCaddyfile,
  minimalCaddyfile,
  rateLimitedCaddyfile,
  respondCaddyfile,
  upstreamCaddyfile,
} from './caddyfiles.ts';
import { cpuPlan, describePlan, pin } from './cpus.ts';
import { instructionsPerRequest, V8_FLAGS, type InstructionContender } from './instructions.ts';
import {
  buildGatehouse,
  findCaddy,
  freePort,
  handWrittenGatewayWorker,
  helloServer,
  passThroughWorker,
  startCaddy,
  startFixedResponse,
  startGatehouse,
  startHandWrittenGateway,
  startPassThrough,
  startWorker,
  workerConfig,
  type Running,
} from './servers.ts';
import { measureDownload, measureUpload, startStreamUpstream } from './stream.ts';
import { haveWrk, runWrk, type LoadResult } from './wrk.ts';
import { honoWorker } from './hono-worker.ts';

import { median } from './stats.ts';
import type { Row } from './table.ts';

// Issue 9's HTTP benchmark: one run, one machine, loopback only. (a) a pass-through Worker on workerd is the limit;
// (b) Gatehouse with the minimal Caddyfile, (c) with 200 routes, (e) with a rate_limit zone, all on the same workerd
// build `gatehouse selfhost` runs; (d) Caddy on the same Caddyfiles; (f) a hand-written gateway Worker doing only the
// unavoidable header work, to tell the runtime's share of the gap from Gatehouse's; (g) Gatehouse answering with
// `respond` against a Worker returning a fixed Response: what Gatehouse itself costs per request, without proxying.
// (h) the 200 routes as a Hono app (hono-peer.ts) proxying like (f): the Workers framework peer for (c).
//
// The machine's speed drifts within a run (a shared host), so the contenders take turns: `rounds` rounds, each
// measuring every contender once, and a ratio is the median over rounds of the two contenders' throughputs in the
// same round. Each gateway has a core to itself, away from wrk and the upstream (cpus.ts). Throughput and latency
// figures are medians over the rounds too; workerd's and Caddy's CPU time per request (from /proc) says what each
// request costs the gateway process itself.

export interface HttpBenchOptions {
  seconds: number;
  connections: number;
  rounds: number;
  streamMb: number;
}

/** Checks the target serves what the Caddyfile says before it is measured, so a broken setup cannot look fast. */
async function check(name: string, port: number, expectEdgeHeader: boolean): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/bench/path?x=1`);
  const body = await res.text();
  if (res.status !== 200 || !body.startsWith('hello from'))
    throw new Error(`${name}: unexpected ${res.status} ${body.slice(0, 200)}`);
  if (expectEdgeHeader && res.headers.get('X-Edge-Served') !== 'Caddy-WASM')
    throw new Error(`${name}: X-Edge-Served header missing`);
}

/** utime + stime of a process so far, in µs (Linux /proc; NaN elsewhere). */
function cpuMicros(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * (1e6 / 100);
  } catch {
    return NaN;
  }
}

interface Contender {
  name: string;
  port: number;
  pid: number;
  runs: LoadResult[];
  cpuPerRequest: number[];
}

function loadRow(t: Contender, vs?: { c: Contender; label: string; target?: number }): Row {
  const rps = median(t.runs.map((r) => r.rps));
  const ratios = vs ? t.runs.map((r, i) => r.rps / vs.c.runs[i].rps) : [];
  const ratio = vs ? median(ratios) : undefined;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  // The spread of the same-round ratios: how far one round's figure may be from the median.
  const spread = ratios.length > 1 ? ` (rounds ${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))})` : '';
  const verdict = ratio !== undefined && vs?.target !== undefined ? (ratio >= vs.target ? ' (met)' : ' (NOT met)') : '';
  const non2xx = t.runs.reduce((n, r) => n + r.non2xx, 0);
  const errors = t.runs.reduce((n, r) => n + r.errors, 0);
  const cpu = median(t.cpuPerRequest);
  return [
    t.name,
    `${Math.round(rps).toLocaleString('en-US')} req/s`,
    `p50 ${median(t.runs.map((r) => r.p50Ms)).toFixed(2)} ms, p99 ${median(t.runs.map((r) => r.p99Ms)).toFixed(2)} ms` +
      (Number.isFinite(cpu) ? `, ${cpu.toFixed(0)} µs CPU/req` : '') +
      (ratio !== undefined
        ? `; ${pct(ratio)} of ${vs!.label}${spread}${vs!.target !== undefined ? `, target ≥ ${vs!.target * 100}%` : ''}${verdict}`
        : '') +
      (non2xx + errors > 0 ? `; ${non2xx} non-2xx, ${errors} socket errors (wrk: connect/read/write/timeout)` : ''),
  ];
}

export async function httpBench(opts: HttpBenchOptions): Promise<Row[]> {
  if (!haveWrk()) return [['HTTP benchmark', 'skipped', 'wrk not installed (apt-get install -y wrk)']];
  const caddy = findCaddy();
  const running: Running[] = [];
  const servers: Server[] = [];
  const rows: Row[] = [];
  const plan = cpuPlan();
  try {
    // This process too stays off the gateway's core (it is the upstream where Caddy is missing).
    if (plan) pin(process.pid, plan.load);
    const ups = [await freePort(), await freePort(), await freePort()];
    if (caddy) running.push(await startCaddy(caddy, upstreamCaddyfile(ups), ups[0]));
    else for (const p of ups) servers.push(await helloServer(p));
    if (plan && caddy) pin(running[0].pid, plan.load);

    const contenders: Contender[] = [];
    const start = async (name: string, how: (port: number) => Promise<Running>): Promise<Contender> => {
      const r = await how(await freePort());
      running.push(r);
      if (plan) pin(r.pid, plan.gateway);
      const c = { name, port: r.port, pid: r.pid, runs: [], cpuPerRequest: [] };
      contenders.push(c);
      return c;
    };
    const a = await start('(a) pass-through Worker (workerd)', (p) => startPassThrough(ups[0], p));
    const f = await start('(f) hand-written minimal gateway Worker', (p) => startHandWrittenGateway(ups[0], p));
    const b = await start('(b) Gatehouse, minimal Caddyfile', (p) => startGatehouse(minimalCaddyfile(p, ups[0]), p));
    const c = await start('(c) Gatehouse, 200 routes', (p) => startGatehouse(manyRoutesCaddyfile(p, ups), p));
    const h = await start('(h) Hono Worker, 200 routes', (p) => startWorker(honoWorker(ups), p, 'hono worker'));
    const e = await start('(e) Gatehouse, minimal + rate_limit', (p) =>
      startGatehouse(rateLimitedCaddyfile(p, ups[0]), p),
    );
    const gw = await start('(g) Worker returning a fixed Response', (p) => startFixedResponse(p));
    const gg = await start('(g) Gatehouse, `respond` only', (p) => startGatehouse(respondCaddyfile(p), p));
    const caddyTargets: Contender[] = [];
    if (caddy) {
      caddyTargets.push(
        await start('(d) Caddy 2.6.2, minimal Caddyfile', (p) => startCaddy(caddy, minimalCaddyfile(p, ups[0]), p)),
      );
      caddyTargets.push(
        await start('(d) Caddy 2.6.2, 200 routes', (p) => startCaddy(caddy, manyRoutesCaddyfile(p, ups), p)),
      );
    }

    const answering = [gw, gg];
    await check(a.name, a.port, false);
    for (const t of answering) await check(t.name, t.port, false);
    for (const t of contenders.slice(1).filter((t) => !answering.includes(t))) await check(t.name, t.port, true);

    const load = (port: number, seconds: number) =>
      runWrk(`http://127.0.0.1:${port}/bench/path?x=1`, {
        seconds,
        connections: opts.connections,
        threads: 1,
        cpus: plan?.load,
      });
    for (const t of contenders) load(t.port, 3); // warm-up (JIT, connection pools)
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of contenders) {
        const before = cpuMicros(t.pid);
        const r = load(t.port, opts.seconds);
        t.runs.push(r);
        t.cpuPerRequest.push((cpuMicros(t.pid) - before) / (r.rps * opts.seconds));
      }
    }
    rows.push([
      'HTTP setup',
      `${opts.rounds} rounds`,
      `${opts.seconds} s wrk runs, ${opts.connections} connections; ${describePlan(plan)}`,
    ]);
    rows.push(loadRow(a));
    rows.push(loadRow(f, { c: a, label: '(a)' }));
    rows.push(loadRow(b, { c: a, label: '(a)', target: 0.9 }));
    rows.push(loadRow(c, { c: a, label: '(a)', target: 0.8 }));
    rows.push(loadRow(h, { c: a, label: '(a)' }));
    for (const t of caddyTargets) rows.push(loadRow(t, { c: a, label: '(a)' }));
    const eRow = loadRow(e, { c: b, label: "(b)'s throughput" });
    const addedP50 = median(e.runs.map((r, i) => r.p50Ms - b.runs[i].p50Ms));
    eRow[2] += `, ${addedP50 >= 0 ? '+' : '−'}${Math.abs(addedP50).toFixed(2)} ms at p50 (a busy key takes slots from a lease: one object call per batch)`;
    rows.push(eRow);
    rows.push(loadRow(gw));
    const ggRow = loadRow(gg, { c: gw, label: 'the fixed-response Worker' });
    const ownCost = median(gg.cpuPerRequest.map((x, i) => x - gw.cpuPerRequest[i]));
    if (Number.isFinite(ownCost))
      ggRow[2] += `; Gatehouse's own cost per request (CPU, same round): ${ownCost.toFixed(0)} µs`;
    rows.push(ggRow);
    rows.push(...(await streamRows(opts.streamMb)));
  } finally {
    for (const r of running.reverse()) await r.stop();
    for (const s of servers) s.close();
  }
  return rows;
}

async function streamRows(mb: number): Promise<Row[]> {
  const upPort = await freePort();
  const upstream = await startStreamUpstream(upPort);
  const port = await freePort();
  const gh = await startGatehouse(minimalCaddyfile(port, upPort), port);
  try {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    await measureDownload(gh.pid, `http://127.0.0.1:${port}/download/1`); // warm-up
    const down = await measureDownload(gh.pid, `http://127.0.0.1:${port}/download/${mb}`);
    const up = await measureUpload(gh.pid, `http://127.0.0.1:${port}/upload`, mb);
    const row = (name: string, r: typeof down): Row => [
      name,
      `${mib(r.bytes)} in ${r.seconds.toFixed(1)} s`,
      `workerd RSS ${mib(r.baselineRss)} → peak ${mib(r.peakRss)} (+${mib(r.peakRss - r.baselineRss)}; a buffered body would add ≥ ${mb} MiB)`,
    ];
    return [row(`streamed download, ${mb} MiB`, down), row(`streamed upload, ${mb} MiB`, up)];
  } finally {
    await gh.stop();
    upstream.close();
  }
}

/**
 * (a), (f), (b), (c) and (h) again, as instructions per request (instructions.ts): the figure that does not move between
 * runs, to tell a change's effect from the machine's noise. (c) proxies to three upstream ports, as in the HTTP part.
 */
export async function instructionRows(opts: { warm: number; n: number }): Promise<Row[]> {
  const contenders: InstructionContender[] = [
    { name: '(a) pass-through Worker', config: (p, ups) => workerConfig(passThroughWorker(ups[0]), p) },
    {
      name: '(f) hand-written minimal gateway Worker',
      config: (p, ups) => workerConfig(handWrittenGatewayWorker(ups[0]), p),
    },
    { name: '(b) Gatehouse, minimal Caddyfile', config: (p, ups) => buildGatehouse(minimalCaddyfile(p, ups[0]), p) },
    {
      name: '(b+log) Gatehouse, minimal Caddyfile with `log` to stdout',
      config: (p, ups) => buildGatehouse(loggedCaddyfile(p, ups[0]), p),
    },
    { name: '(c) Gatehouse, 200 routes', config: (p, ups) => buildGatehouse(manyRoutesCaddyfile(p, ups), p) },
    { name: '(h) Hono Worker, 200 routes', config: (p, ups) => workerConfig(honoWorker(ups), p) },
  ];
  const t0 = Date.now();
  const results = await instructionsPerRequest(contenders, { ...opts, concurrency: 4, upstreams: 3 });
  for (const r of results) if ('skipped' in r) return [['instructions per request', 'skipped', r.skipped]];
  const kIr = results.map((r) => ('kIrPerRequest' in r ? r.kIrPerRequest : NaN));
  const rows: Row[] = [
    [
      'instructions setup',
      'callgrind',
      `instructions workerd executes per request (every thread; kIr = thousands), counted over ${opts.n} requests after ` +
        `${opts.warm} uninstrumented; V8 ${V8_FLAGS.join(' ')}; 4 keep-alive node:http connections; upstreams are ` +
        `node:http servers in this process, three ports for (c) and (h); ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    ],
  ];
  // The targets, as multiples of the floor (f): (b) and (c) close to it, (c) below Hono's (h).
  const tag = (name: string) => name.slice(0, name.indexOf(')') + 1);
  const at = (t: string) => results.findIndex((r) => tag(r.name) === t);
  const targets: Record<string, number> = { '(b)': 1.02, '(c)': 1.05 };
  const [f, c, h] = [at('(f)'), at('(c)'), at('(h)')];
  results.forEach((r, i) => {
    // As a throughput: what one core would give relative to (a), were time proportional to instructions.
    let note =
      i === 0
        ? ''
        : `(a)'s instructions ÷ these: ${((kIr[0] / kIr[i]) * 100).toFixed(0)}% ` +
          "(the share of (a)'s throughput a core would give, were time proportional to instructions)";
    if (f >= 0 && i !== f && i !== 0) {
      const ratio = kIr[i] / kIr[f];
      const target = targets[tag(r.name)];
      note = `${ratio.toFixed(3)} × (f)${target ? `, target ≤ ${target}${ratio <= target ? ' (met)' : ' (NOT met)'}` : ''}; ${note}`;
    }
    if (i === c && h >= 0)
      note += `; ${(kIr[c] / kIr[h]).toFixed(3)} × (h), target < 1${kIr[c] < kIr[h] ? ' (met)' : ' (NOT met)'}`;
    rows.push([`instructions: ${r.name}`, `${kIr[i].toFixed(1)} kIr/req`, note]);
  });
  return rows;
}
