import { describe, expect, it } from 'vitest';
import { isValidHostHeader } from '../../src/http/host-syntax.ts';

describe('isValidHostHeader', () => {
  const valid = ['example.com', 'EXAMPLE.com:443', 'localhost:0', 'localhost:65535', 'a_b-c~d.e', "x!$&'()*+,;=", 'a%2Eb', '127.0.0.1', '[::1]', '[::1]:8080', '[2001:db8::1]', '[::ffff:10.0.0.1]:80', 'h:'];
  const invalid = ['', ':80', 'a/b', 'a\\b', 'a?b', 'a#b', 'a b', 'a\tb', 'u@h', 'h:65536', 'h:123456', 'h:8x', 'h:-1', 'h:80:80', '[::1', '[]', '[:]', '[::1]x', '[::1]:8x', '[v1.x]', 'a%2', 'a%zz', 'h\r\nx', 'é.test', '[::1]/x'];
  for (const v of valid) it(`accepts ${JSON.stringify(v)}`, () => expect(isValidHostHeader(v)).toBe(true));
  for (const v of invalid) it(`refuses ${JSON.stringify(v)}`, () => expect(isValidHostHeader(v)).toBe(false));

  it('runs in linear time on long hostile input', () => {
    const long = 'a'.repeat(1 << 20);
    const started = performance.now();
    expect(isValidHostHeader(long + '/')).toBe(false);
    expect(isValidHostHeader('[' + ':'.repeat(1 << 20))).toBe(false);
    expect(isValidHostHeader('%41'.repeat(1 << 18))).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
