import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { prng } from '../prng.ts';
import { check, mutate } from './fuzz-config-harness.ts';

// Mutations of Caddy's adapter test inputs must end in success, a Caddyfile error naming file:line, or a ConfigError,
// each within a time budget. Every input the fuzzer has caught lives in fuzz-regressions/ and runs every time.

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = resolve(here, '../../../shared/conformance/caddyfile_adapt');
const regressionsDir = join(here, 'fuzz-regressions');

/** Per input; generous for a shared 2-core machine, far below what a quadratic step or a hang takes. */
const BUDGET_MS = 2000;
/** Mutated inputs per run: about half a minute on a shared 2-core machine. */
const RUNS = 2500;
const SEED = 20261204;

function corpus(): string[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.caddyfiletest'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(corpusDir, f), 'utf8');
      const sep = text.search(/^-{10}\s*$/m);
      return sep < 0 ? text : text.slice(0, sep);
    });
}

function regressions(): [string, string][] {
  return readdirSync(regressionsDir)
    .filter((f) => f.endsWith('.caddyfile') || f.endsWith('.caddyfile.gz'))
    .sort()
    .map((f) => {
      const raw = readFileSync(join(regressionsDir, f));
      return [f, (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')];
    });
}

/** What went wrong with one input, or undefined when it ended well and in time. */
function problem(input: string): string | undefined {
  const start = performance.now();
  const outcome = check(input);
  const ms = performance.now() - start;
  if (outcome.kind === 'bad') return `${outcome.why}: ${outcome.message.slice(0, 300)}`;
  if (ms > BUDGET_MS) return `took ${Math.round(ms)} ms`;
  return undefined;
}

describe('config front end under mutated input', () => {
  it('every input the fuzzer caught ends in a located error or a config, in time', () => {
    const failures = regressions().flatMap(([name, input]) => {
      const p = problem(input);
      return p ? [`${name}: ${p}`] : [];
    });
    expect(failures).toEqual([]);
  }, 60_000);

  if (!existsSync(corpusDir)) {
    it.skip(`conformance corpus not found at ${corpusDir}`, () => {});
    return;
  }

  it(`${RUNS} mutations of the adapter corpus (seed ${SEED})`, () => {
    const inputs = corpus();
    const rnd = prng(SEED);
    const failures: string[] = [];
    for (let i = 0; i < RUNS && failures.length < 5; i++) {
      const input = mutate(inputs[Math.floor(rnd() * inputs.length)], rnd);
      const p = problem(input);
      // The input is printed so it can be added to fuzz-regressions/.
      if (p)
        failures.push(`run ${i}: ${p}\n${JSON.stringify(input.length > 2000 ? `${input.slice(0, 2000)}…` : input)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
