import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Rules of the codebase that a reader relies on: comments do not point into an issue tracker or into reference
// documents that are not in the repository, and say why rather than carry numbers that go stale.

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const FILES = [...sources('src'), ...sources('durable')];

function offending(pattern: RegExp): string[] {
  return FILES.flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('house rules for src/ and durable/', () => {
  it('finds the files it checks', () => {
    expect(FILES.length).toBeGreaterThan(100);
  });

  it('no references to issue numbers or to sections of reference documents outside the repository', () => {
    expect(offending(/\bissues? #?\d+\b|\breference §/i)).toEqual([]);
  });

  it('no benchmark figures in comments (they belong to the bench output and the README)', () => {
    expect(offending(/\b(callgrind|kIr|\d+(\.\d+)?k instructions)\b/)).toEqual([]);
  });
});

/**
 * Module-level state in src/proxy that outlives a config. Each entry says why it is not owned by a compiled config;
 * shared upstream pools are not among them: a config's PoolScope holds them at the PoolRegistry its owner passes in.
 */
const PROXY_MODULE_STATE: Record<string, string> = {
  'src/proxy/passive-health.ts:hosts':
    'per-address in-flight counts and failures, shared by every config as Caddy shares its hosts across reloads',
  'src/proxy/handle-response.ts:intercepted': 'a side table keyed by the request context, gone with the request',
  'src/proxy/ip.ts:parsed': 'a bounded cache of parsed addresses (pure function results)',
  'src/proxy/metrics.ts:cache': 'the series handles of the current metrics recorder, rebuilt when it changes',
  'src/proxy/headers.ts:runtimeReportsProtocol': 'a feature probe of the runtime, answered once',
  'src/proxy/policies/index.ts:POLICIES': 'the lb_policy module registry, filled as the policy modules load',
};

describe('state in src/proxy', () => {
  it('no module-level registries or other mutable state beyond the listed ones (pools belong to configs)', () => {
    const found = FILES.filter((f) => f.startsWith('src/proxy/')).flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line) => {
          const m =
            /^(?:export )?let (\w+)/.exec(line) ??
            /^(?:export )?const (\w+)(?::[^=]+)? = new (?:Map|Set|WeakMap|WeakSet|Array)\b/.exec(line) ??
            /^(?:export )?const (\w+)(?::[^=]+)? = (?:\[\]|\{\})/.exec(line);
          return m ? [`${file}:${m[1]}`] : [];
        }),
    );
    const constantSets = ['src/proxy/headers.ts:HOP_SET', 'src/proxy/round-trip.ts:IDEMPOTENT'];
    expect(found.filter((k) => !constantSets.includes(k)).sort()).toEqual(Object.keys(PROXY_MODULE_STATE).sort());
  });
});
