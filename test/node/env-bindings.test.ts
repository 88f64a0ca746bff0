import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DURABLE_OBJECTS } from '../../src/cli/init-files.ts';
import { secretNames } from '../../src/cli/local/secrets.ts';
import { ROUTE_FILE_LINES_VAR } from '../../src/logging/writers.ts';

// src/env.ts is the one list of the Worker's bindings and vars: what wrangler.toml binds, what the CLI's generated
// configs bind, and what the runtime reads must all be in it, typed, so a renamed binding fails the typecheck
// instead of a request.

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

const ENV_KEYS = new Set(
  [...read('src/env.ts').matchAll(/^ {2}(?:readonly )?([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]),
);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Files whose `env` is the Worker's (the CLI's is the process environment, the adapter's the Caddyfile's). */
const RUNTIME = [...sources('src'), ...sources('durable')].filter(
  (f) => !/^src\/(cli|adapt|caddyfile)\//.test(f) && f !== 'src/env.ts',
);

describe('the Worker env (src/env.ts)', () => {
  it('has the bindings and vars of wrangler.toml', () => {
    const toml = read('wrangler.toml');
    const bindings = [...toml.matchAll(/^name = "([A-Z][A-Z0-9_]*)"/gm)].map((m) => m[1]);
    const vars = [...(toml.split(/^\[vars\]$/m)[1] ?? '').matchAll(/^([A-Z][A-Z0-9_]*) =/gm)].map((m) => m[1]);
    expect(bindings.length).toBeGreaterThanOrEqual(4);
    expect(vars).toContain('CONFIG_REFRESH_MS');
    expect([...bindings, ...vars].filter((n) => !ENV_KEYS.has(n))).toEqual([]);
  });

  it('has what the CLI binds in the configs it generates', () => {
    const names = [...DURABLE_OBJECTS.map((d) => d.binding), ...secretNames, ROUTE_FILE_LINES_VAR, 'GATEHOUSE_CONFIG'];
    expect(names.filter((n) => !ENV_KEYS.has(n))).toEqual([]);
  });

  it('has every name the runtime reads from the env', () => {
    const read_ = RUNTIME.flatMap((file) =>
      [...read(file).matchAll(/(?<!\{)\benv\??\.([A-Z][A-Z0-9_]*)\b/g)].map((m) => `${file}: ${m[1]}`),
    );
    expect(read_.length).toBeGreaterThan(10);
    expect(read_.filter((entry) => !ENV_KEYS.has(entry.split(': ')[1]))).toEqual([]);
  });

  it('is the type of every env parameter of the runtime (no untyped Record<string, unknown> env)', () => {
    const untyped = RUNTIME.flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((line, i) => (/\benv\??: Record<string, unknown>/.test(line) ? [`${file}:${i + 1}`] : [])),
    );
    expect(untyped).toEqual([]);
  });
});
