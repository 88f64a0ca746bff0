import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

// Contender (h) as one Worker module: hono-peer.ts and Hono bundled by esbuild (as wrangler would bundle it).

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The Worker source: the 200-route Hono app proxying round robin to `upstreamPorts` on loopback. */
export function honoWorker(upstreamPorts: number[]): string {
  const upstreams = JSON.stringify(upstreamPorts.map((p) => `127.0.0.1:${p}`));
  const out = buildSync({
    stdin: {
      contents: `import { honoApp, BENCH_NAMES } from './hono-peer.ts';\nexport default honoApp(${upstreams}, BENCH_NAMES);\n`,
      resolveDir: HERE,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    minify: true,
    write: false,
  });
  return out.outputFiles[0].text;
}
