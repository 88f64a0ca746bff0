import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

// A Durable Object shares with the isolates only what both sides must agree on: wire types, constants and pure
// logic. It never reaches into the request runtime, so its bundle stays small and a runtime change cannot silently
// change what the object does.

const ROOT = new URL('../../', import.meta.url).pathname;

/** The modules of src/ a Durable Object may import, directly or through each other, and why each is one of them. */
const PROTOCOL_MODULES: Record<string, string> = {
  'src/proxy/pool-protocol.ts': 'UpstreamPool wire types, refresh budget and the active check both sides run',
  'src/metrics/batch.ts': 'the series format isolates and objects send to metric shards',
  'src/metrics/catalog.ts': 'metric names, kinds and labels (data only)',
  'src/metrics/recorder.ts': 'accumulates series into batches of that format',
  'src/metrics/health-round.ts': 'what one round of active checks records',
  'src/metrics/shards.ts': 'how metric shards are named and picked',
  'src/admin/etag.ts': 'the config Etag the admin API and the ConfigStore both compute',
  'src/admin/config-path.ts': 'the /config/… path walk inside that Etag',
  'src/util/xxhash64.ts': 'a pure hash',
  'src/util/digits.ts': 'a pure string test',
  'src/util/sha256-hex.ts': 'a pure hash (WebCrypto)',
  'src/util/settle-within.ts': 'a promise helper',
};

/** Relative imports of a file (value and type imports, re-exports), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'/g)].map((m) => m[1]);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) specs.push(m[1]);
  return specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s)));
}

/** Every src/ file a Durable Object file reaches, with the chain that reaches it. */
function srcReach(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (file: string, chain: string): void => {
    for (const dep of importsOf(file)) {
      if (!dep.startsWith('src/') || seen.has(dep)) continue;
      seen.set(dep, `${chain} → ${dep}`);
      walk(dep, `${chain} → ${dep}`);
    }
  };
  walk(entry, entry);
  return seen;
}

const DURABLE = readdirSync(join(ROOT, 'durable'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `durable/${f}`);

describe('Durable Objects import only protocol modules from src/', () => {
  it('finds the objects and their imports', () => {
    expect(DURABLE).toContain('durable/upstream-pool.ts');
    expect(srcReach('durable/upstream-pool.ts').has('src/proxy/pool-protocol.ts')).toBe(true);
  });

  for (const file of DURABLE) {
    it(`${file} reaches no runtime module`, () => {
      const outside = [...srcReach(file)].filter(([dep]) => !(dep in PROTOCOL_MODULES)).map(([, chain]) => chain);
      expect(outside).toEqual([]);
    });
  }

  it('the protocol modules import nothing Worker-specific', () => {
    for (const file of Object.keys(PROTOCOL_MODULES)) {
      expect(readFileSync(join(ROOT, file), 'utf8')).not.toMatch(/from 'cloudflare:/);
    }
  });
});
