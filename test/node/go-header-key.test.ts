import { describe, expect, it } from 'vitest';
import { canonicalHeaderKey } from '../../src/util/go-header-key.ts';

// Go 1.19's textproto.CanonicalMIMEHeaderKey (the Go Caddy 2.6.2 is built with): letters upper-cased at the start and
// after each '-', lower-cased elsewhere; any byte outside the token characters leaves the name as it is.

describe('canonicalHeaderKey (Go)', () => {
  it.each([
    ['x-forwarded-for', 'X-Forwarded-For'],
    ['X-FORWARDED-FOR', 'X-Forwarded-For'],
    ['Content-Type', 'Content-Type'],
    ['ETAG', 'Etag'],
    ['x_foo-bar', 'X_foo-Bar'],
    ['x.y-z', 'X.y-Z'],
    ['1a-b', '1a-B'],
    ['a--b', 'A--B'],
    ["x!#$%&'*+.^_`|~-y", "X!#$%&'*+.^_`|~-Y"],
    ['', ''],
    ['my header', 'my header'],
    ['{http.vars.h}', '{http.vars.h}'],
    ['héllo-world', 'héllo-world'],
    ['x:y', 'x:y'],
  ])('%j → %j', (input, expected) => {
    expect(canonicalHeaderKey(input)).toBe(expected);
  });
});
