// Dev helper (not part of `npm run bench`): interleaved wrk rounds of the pass-through Worker (a), the hand-written
// gateway (f) and Gatehouse (b: minimal Caddyfile, c: 200 routes), each reporting throughput relative to (a) in the
// same round (e: with a rate_limit zone, when WITH_RATE_LIMIT is set) and workerd's CPU time per request (utime+stime from /proc); medians over the rounds, so a round the
// machine was busy elsewhere does not decide. Env: ROUNDS (default 6), SECS (per wrk run, default 3).
import { readFileSync } from 'node:fs';
import { manyRoutesCaddyfile, minimalCaddyfile, rateLimitedCaddyfile, upstreamCaddyfile } from './caddyfiles.ts';
import { findCaddy, freePort, startCaddy, startGatehouse, startHandWrittenGateway, startPassThrough, type Running } from './servers.ts';
import { runWrk } from './wrk.ts';

const rounds = Number(process.env.ROUNDS ?? 6);
const seconds = Number(process.env.SECS ?? 3);

/** utime+stime of a process in µs (Linux /proc, clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const running: Running[] = [];
try {
  const ups = [await freePort(), await freePort(), await freePort()];
  running.push(await startCaddy(findCaddy()!, upstreamCaddyfile(ups), ups[0]));
  const targets: Array<{ key: string; r: Running }> = [];
  const add = async (key: string, start: (port: number) => Promise<Running>) => {
    const r = await start(await freePort());
    running.push(r);
    targets.push({ key, r });
  };
  await add('a', (p) => startPassThrough(ups[0], p));
  await add('f', (p) => startHandWrittenGateway(ups[0], p));
  await add('b', (p) => startGatehouse(minimalCaddyfile(p, ups[0]), p));
  await add('c', (p) => startGatehouse(manyRoutesCaddyfile(p, ups), p));
  if (process.env.WITH_RATE_LIMIT) await add('e', (p) => startGatehouse(rateLimitedCaddyfile(p, ups[0]), p));
  const load = (port: number, s = seconds) => runWrk(`http://127.0.0.1:${port}/bench/path?x=1`, { seconds: s, connections: 32, threads: 1 });
  for (const t of targets) load(t.r.port, 3); // JIT warm-up
  const ratio: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let i = 0; i < rounds; i++) {
    const rps: Record<string, number> = {};
    for (const t of targets) {
      const c0 = cpuUs(t.r.pid);
      const r = load(t.r.port);
      (cpu[t.key] ??= []).push((cpuUs(t.r.pid) - c0) / (r.rps * seconds));
      rps[t.key] = r.rps;
    }
    for (const k of Object.keys(rps)) (ratio[k] ??= []).push(rps[k] / rps.a);
    console.log(`round ${i}: ` + Object.entries(rps).map(([k, v]) => `${k} ${v.toFixed(0)} (${((v / rps.a) * 100).toFixed(0)}%)`).join(' '));
  }
  console.log('median throughput vs a: ' + Object.keys(ratio).map((k) => `${k} ${(median(ratio[k]) * 100).toFixed(1)}%`).join('  '));
  console.log('median workerd CPU per request: ' + Object.keys(cpu).map((k) => `${k} ${median(cpu[k]).toFixed(0)} µs`).join('  '));
} finally {
  for (const r of running.reverse()) await r.stop();
}
