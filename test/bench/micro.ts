// Micro benchmarks (Node, no I/O): adapt, compile and route evaluation, medians after warm-up.
import { readFileSync } from 'node:fs';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { parseCaddyfile } from '../../src/caddyfile/parser.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { honoApp, honoRouter, MICRO_NAMES } from './hono-peer.ts';
import { median, percentiles } from './stats.ts';
import type { Row } from './table.ts';

function time(fn: () => void, runs: number): number {
  for (let i = 0; i < Math.min(20, runs); i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** A Caddyfile of about `lines` lines: many sites with matchers, headers, rewrites and handle blocks. */
export function generateCaddyfile(lines: number): string {
  const out: string[] = ['{', '\torder respond before header', '}', ''];
  let i = 0;
  while (out.length < lines) {
    out.push(
      `site${i}.example.com {`,
      `\t@api${i} {`,
      `\t\tpath /api/${i}/*`,
      `\t\tmethod GET POST`,
      `\t}`,
      `\theader X-Site ${i}`,
      `\trewrite /old${i} /new${i}`,
      `\thandle @api${i} {`,
      `\t\trespond "api ${i} {path}" 200`,
      `\t}`,
      `\thandle_path /static${i}/* {`,
      `\t\trespond "static {uri}"`,
      `\t}`,
      `\tredir /r${i} /target${i} permanent`,
      `\trespond "site ${i}"`,
      `}`,
      '',
    );
    i++;
  }
  return out.join('\n');
}

/** 200 routes of four kinds (host, path handle, path_regexp, header), all answering with static responses. */
function generateRoutes(n: number): string {
  const out: string[] = [':8080 {'];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) out.push(`\t@h${i} host h${i}.example.com`, `\trespond @h${i} "host ${i}"`);
    if (kind === 1) out.push(`\thandle /p${i}/* {`, `\t\theader X-Route ${i}`, `\t\trespond "path ${i}"`, '\t}');
    if (kind === 2) out.push(`\t@re${i} path_regexp r${i} ^/re${i}/(\\d+)$`, `\trespond @re${i} "re {re.r${i}.1}"`);
    if (kind === 3) out.push(`\t@hd${i} header X-Key k${i}`, `\trespond @hd${i} "header ${i}"`);
  }
  out.push('\trespond "fallthrough"', '}');
  return out.join('\n');
}

const opts = { filename: 'Caddyfile', env: {} };

export async function microBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const big = generateCaddyfile(1000);
  const bigLines = big.split('\n').length;
  const defaultCaddyfile = readFileSync(new URL('../../Caddyfile', import.meta.url), 'utf8');
  rows.push([`parse ${bigLines}-line Caddyfile`, `${time(() => parseCaddyfile(big, opts), 50).toFixed(2)} ms`, '']);
  rows.push([
    `adapt ${bigLines}-line Caddyfile`,
    `${time(() => adaptCaddyfile(big, opts), 50).toFixed(2)} ms`,
    'target < 20 ms',
  ]);
  rows.push([
    'adapt default Caddyfile',
    `${time(() => adaptCaddyfile(defaultCaddyfile, opts), 500).toFixed(3)} ms`,
    'target < 1 ms',
  ]);
  const json = adaptCaddyfile(defaultCaddyfile, opts).config;
  rows.push(['compile default config', `${time(() => compileConfig(json), 500).toFixed(3)} ms`, '']);
  const bigJson = adaptCaddyfile(big, opts).config;
  rows.push([`compile ${bigLines}-line config`, `${time(() => compileConfig(bigJson), 50).toFixed(2)} ms`, '']);
  rows.push(...(await routeEval()));
  return rows;
}

const REQUESTS: Array<[url: string, headers: Record<string, string>]> = [
  ['http://127.0.0.1:8080/p197/x', {}],
  ['http://h100.example.com:8080/', {}],
  ['http://127.0.0.1:8080/re198/42', {}],
  ['http://127.0.0.1:8080/nothing', { 'X-Key': 'k199' }],
];

/** Times `serve` over the requests in turn (after a warm-up long enough that every route's matcher is optimised). */
async function timeServe(serve: (req: Request) => Promise<Response>): Promise<{ p50: number; p99: number }> {
  const requests = REQUESTS.map(([url, headers]) => new Request(url, { headers }));
  const samples: number[] = [];
  for (let round = 0; round < 10_000; round++) {
    // Timed: the work from the request to its Response. Not timed: making the request and reading the static body,
    // which in Node are undici's JavaScript (native code in workerd) and dominate a 1-route config.
    const req = requests[round % requests.length].clone();
    const t0 = performance.now();
    const res = await serve(req);
    const t1 = performance.now();
    await res.arrayBuffer();
    if (round >= 2000) samples.push(t1 - t0);
  }
  return percentiles(samples);
}

/**
 * Per-request time through a 200-route config (static responses, so no I/O), requests hitting late routes; beside
 * it the same routes as a Hono app (hono-peer.ts), and Hono's RegExpRouter `match` alone on the same paths.
 */
async function routeEval(): Promise<Row[]> {
  const routesConfig = compileConfig(adaptCaddyfile(generateRoutes(200), opts).config);
  const gatehouse = await timeServe((req) => routesConfig.serve(req, {}, undefined, { remoteIp: '127.0.0.1' }));
  const app = honoApp(['127.0.0.1:1'], MICRO_NAMES);
  const hono = await timeServe(async (req) => app.fetch(req));
  const router = honoRouter(MICRO_NAMES);
  const paths = REQUESTS.map(([url]) => new URL(url).pathname);
  const samples: number[] = [];
  for (let round = 0; round < 100_000; round++) {
    const path = paths[round % paths.length];
    const t0 = performance.now();
    router.match('GET', path);
    if (round >= 20_000) samples.push(performance.now() - t0);
  }
  const router50 = percentiles(samples);
  const us = (x: number) => `${x.toFixed(1)} µs`;
  const met = (ok: boolean) => (ok ? ' (met)' : ' (NOT met)');
  return [
    [
      'route eval, 200-route config',
      us(gatehouse.p50),
      `p50 (p99 ${us(gatehouse.p99)}); target p50 < 5 µs${met(gatehouse.p50 < 5)}; ` +
        `${(gatehouse.p50 / hono.p50).toFixed(2)} × Hono's app, target ≤ 2${met(gatehouse.p50 <= 2 * hono.p50)}`,
    ],
    [
      'route eval, the same routes as a Hono app',
      us(hono.p50),
      `p50 (p99 ${us(hono.p99)}); app.fetch: router, middleware, Response`,
    ],
    [
      'route eval, Hono RegExpRouter match only',
      us(router50.p50),
      `p50 (p99 ${us(router50.p99)}); the path routes, no Request`,
    ],
  ];
}
