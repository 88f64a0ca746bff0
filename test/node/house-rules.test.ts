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
