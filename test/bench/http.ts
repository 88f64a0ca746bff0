import { createServer, type Server } from 'node:http';
import { manyRoutesCaddyfile, minimalCaddyfile, rateLimitedCaddyfile, upstreamCaddyfile } from './caddyfiles.ts';
import { findCaddy, freePort, startCaddy, startGatehouse, startHandWrittenGateway, startPassThrough, type Running } from './servers.ts';
import { measureDownload, measureUpload, startStreamUpstream } from './stream.ts';
import { haveWrk, runWrk, type LoadResult } from './wrk.ts';
import type { Row } from './table.ts';

// Issue 9's HTTP benchmark: one run, one machine, loopback only. (a) a pass-through Worker on workerd is the limit;
// (b) Gatehouse with the minimal Caddyfile, (c) with 200 routes, (e) with a rate_limit zone, all on the same workerd
// build `gatehouse selfhost` runs; (d) Caddy on the same Caddyfiles; (f) a hand-written gateway Worker doing only the
// unavoidable header work, to tell the runtime's share of the gap from Gatehouse's. Ratios are taken within the run.

export interface HttpBenchOptions {
  seconds: number;
  connections: number;
  streamMb: number;
}

function helloServer(port: number): Promise<Server> {
  const srv = createServer((_req, res) => res.end(`hello from ${port}\n`));
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

/** Checks the target serves what the Caddyfile says before it is measured, so a broken setup cannot look fast. */
async function check(name: string, port: number, expectEdgeHeader: boolean): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/bench/path?x=1`);
  const body = await res.text();
  if (res.status !== 200 || !body.startsWith('hello from')) throw new Error(`${name}: unexpected ${res.status} ${body.slice(0, 200)}`);
  if (expectEdgeHeader && res.headers.get('X-Edge-Served') !== 'Caddy-WASM') throw new Error(`${name}: X-Edge-Served header missing`);
}

function loadRow(name: string, r: LoadResult, limit?: LoadResult, target?: number): Row {
  const ratio = limit ? r.rps / limit.rps : undefined;
  const verdict = ratio !== undefined && target !== undefined ? (ratio >= target ? ' (met)' : ' (NOT met)') : '';
  const failures = r.non2xx + r.errors > 0 ? `; ${r.non2xx} non-2xx, ${r.errors} socket errors` : '';
  return [
    name,
    `${Math.round(r.rps).toLocaleString('en-US')} req/s`,
    `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms` +
      (ratio !== undefined ? `; ${(ratio * 100).toFixed(0)}% of (a)${target !== undefined ? `, target ≥ ${target * 100}%` : ''}${verdict}` : '') +
      failures,
  ];
}

export async function httpBench(opts: HttpBenchOptions): Promise<Row[]> {
  if (!haveWrk()) return [['HTTP benchmark', 'skipped', 'wrk not installed (apt-get install -y wrk)']];
  const caddy = findCaddy();
  const running: Running[] = [];
  const servers: Server[] = [];
  const rows: Row[] = [];
  try {
    const ups = [await freePort(), await freePort(), await freePort()];
    if (caddy) running.push(await startCaddy(caddy, upstreamCaddyfile(ups), ups[0]));
    else for (const p of ups) servers.push(await helloServer(p));

    const start = async (name: string, port: number, how: (port: number) => Promise<Running>) => {
      const r = await how(port);
      running.push(r);
      return { name, ...r };
    };
    const pPass = await freePort();
    const a = await start('(a) pass-through Worker (workerd)', pPass, (p) => startPassThrough(ups[0], p));
    const pHand = await freePort();
    const f = await start('(f) hand-written minimal gateway Worker', pHand, (p) => startHandWrittenGateway(ups[0], p));
    const pMin = await freePort();
    const b = await start('(b) Gatehouse, minimal Caddyfile', pMin, (p) => startGatehouse(minimalCaddyfile(p, ups[0]), p));
    const pMany = await freePort();
    const c = await start('(c) Gatehouse, 200 routes', pMany, (p) => startGatehouse(manyRoutesCaddyfile(p, ups), p));
    const pRate = await freePort();
    const e = await start('(e) Gatehouse, minimal + rate_limit', pRate, (p) => startGatehouse(rateLimitedCaddyfile(p, ups[0]), p));
    const caddyTargets: Array<{ name: string; port: number }> = [];
    if (caddy) {
      const pCMin = await freePort();
      caddyTargets.push(await start('(d) Caddy 2.6.2, minimal Caddyfile', pCMin, (p) => startCaddy(caddy, minimalCaddyfile(p, ups[0]), p)));
      const pCMany = await freePort();
      caddyTargets.push(await start('(d) Caddy 2.6.2, 200 routes', pCMany, (p) => startCaddy(caddy, manyRoutesCaddyfile(p, ups), p)));
    }

    await check(a.name, a.port, false);
    for (const t of [b, c, e, f, ...caddyTargets]) await check(t.name, t.port, true);

    const load = (port: number, seconds = opts.seconds) =>
      runWrk(`http://127.0.0.1:${port}/bench/path?x=1`, { seconds, connections: opts.connections, threads: 1 });
    for (const t of [a, b, c, e, f, ...caddyTargets]) load(t.port, 3); // warm-up (JIT, connection pools)

    const ra = load(a.port);
    const rf = load(f.port);
    const rb = load(b.port);
    const rc = load(c.port);
    rows.push(loadRow(a.name, ra));
    rows.push(loadRow(f.name, rf, ra));
    rows.push(loadRow(b.name, rb, ra, 0.9));
    rows.push(loadRow(c.name, rc, ra, 0.8));
    for (const t of caddyTargets) rows.push(loadRow(t.name, load(t.port), ra));
    // Last, so the Durable Object work it causes cannot overlap another measurement.
    const re = load(e.port);
    rows.push([
      e.name,
      `${Math.round(re.rps).toLocaleString('en-US')} req/s`,
      `p50 ${re.p50Ms.toFixed(2)} ms, p99 ${re.p99Ms.toFixed(2)} ms; ${((re.rps / rb.rps) * 100).toFixed(0)}% of (b)'s throughput, ` +
        `+${(re.p50Ms - rb.p50Ms).toFixed(2)} ms at p50 (a busy key takes slots from a lease: one object call per batch)`,
    ]);
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
