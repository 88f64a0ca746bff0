import { describe, expect, it } from 'vitest';
import { cleanPath } from '../../src/http/matchers/glob.ts';

// cleanPath gives a path that is clean already back as it is, without Go's path.Clean: the paths that look clean but
// are not (a `.` or `..` segment at the end, dots that are part of a name) must still come out as Caddy cleans them.

describe('cleanPath', () => {
  const cases: Array<[input: string, merged: string, kept: string]> = [
    ['/', '/', '/'],
    ['/api/v1/users', '/api/v1/users', '/api/v1/users'],
    ['/api/', '/api/', '/api/'],
    ['/.well-known/acme', '/.well-known/acme', '/.well-known/acme'],
    ['/a/.b/..c/...', '/a/.b/..c/...', '/a/.b/..c/...'],
    ['/a/.', '/a', '/a'],
    ['/a/..', '/', '/'],
    ['/a/b/..', '/a', '/a'],
    ['/a/./b', '/a/b', '/a/b'],
    ['/a/../../b/', '/b/', '/b/'],
    ['/.', '/', '/'],
    ['/..', '/', '/'],
    ['//a//b', '/a/b', '//a//b'],
    ['/a//../b', '/b', '/a/b'],
    ['a/b', 'a/b', 'a/b'],
    ['/%2e%2e/x', '/%2e%2e/x', '/%2e%2e/x'],
  ];
  for (const [input, merged, kept] of cases) {
    it(`${JSON.stringify(input)} → ${merged} (slashes merged), ${kept} (kept)`, () => {
      expect(cleanPath(input, true)).toBe(merged);
      expect(cleanPath(input, false)).toBe(kept);
    });
  }
});
