// `npm run bench`: adapt and compile timings, measured in one run (median after warm-up). Node, no I/O.
import { readFileSync } from 'node:fs';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { parseCaddyfile } from '../../src/caddyfile/parser.ts';
import { compileConfig } from '../../src/config/compile.ts';

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

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

const big = generateCaddyfile(1000);
const defaultCaddyfile = readFileSync(new URL('../../Caddyfile', import.meta.url), 'utf8');
const opts = { filename: 'Caddyfile', env: {} };

const rows: Array<[string, string, string]> = [];
const bigLines = big.split('\n').length;
rows.push([`parse ${bigLines}-line Caddyfile`, `${time(() => parseCaddyfile(big, opts), 50).toFixed(2)} ms`, '']);
const adaptBig = time(() => adaptCaddyfile(big, opts), 50);
rows.push([`adapt ${bigLines}-line Caddyfile`, `${adaptBig.toFixed(2)} ms`, 'target < 20 ms']);
let adaptDefault = NaN;
try {
  adaptDefault = time(() => adaptCaddyfile(defaultCaddyfile, opts), 500);
  rows.push(['adapt default Caddyfile', `${adaptDefault.toFixed(3)} ms`, 'target < 1 ms']);
  const json = adaptCaddyfile(defaultCaddyfile, opts).config;
  rows.push(['compile default config', `${time(() => compileConfig(json), 500).toFixed(3)} ms`, '']);
} catch (e) {
  rows.push(['adapt default Caddyfile', `error: ${(e as Error).message.slice(0, 60)}`, '']);
}
const bigJson = adaptCaddyfile(big, opts).config;
rows.push([`compile ${bigLines}-line config`, `${time(() => compileConfig(bigJson), 50).toFixed(2)} ms`, '']);

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`Gatehouse benchmarks (node ${process.version}, median of runs after warm-up)\n`);
for (const [name, value, target] of rows) console.log(`${name.padEnd(w)}  ${value.padStart(10)}  ${target}`);

// Route evaluation (issue 9): per-request time through a 200-route config, no I/O (static responses), in Node.
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

const routesConfig = compileConfig(adaptCaddyfile(generateRoutes(200), opts).config);
const requests = [
  new Request('http://127.0.0.1:8080/p197/x'),
  new Request('http://h100.example.com:8080/'),
  new Request('http://127.0.0.1:8080/re198/42'),
  new Request('http://127.0.0.1:8080/nothing', { headers: { 'X-Key': 'k199' } }),
];
const evalSamples: number[] = [];
for (let round = 0; round < 2000; round++) {
  const req = requests[round % requests.length];
  const t0 = performance.now();
  const res = await routesConfig.serve(req.clone(), {}, undefined, { remoteIp: '127.0.0.1' });
  await res.arrayBuffer();
  if (round >= 200) evalSamples.push(performance.now() - t0);
}
const sorted = evalSamples.sort((a, b) => a - b);
console.log(
  `${'route eval, 200-route config'.padEnd(w)}  ${(sorted[Math.floor(sorted.length / 2)] * 1000).toFixed(1).padStart(7)} µs  p50 (p99 ${(sorted[Math.floor(sorted.length * 0.99)] * 1000).toFixed(1)} µs; target p50 < 20 µs)`,
);
