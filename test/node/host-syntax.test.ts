import { describe, expect, it } from 'vitest';
import { isValidHost } from '../../src/http/host-syntax.ts';

// The Host grammar checked before routing (the front and the Worker share it).

describe('isValidHost', () => {
  const valid = [
    'example.com',
    'EXAMPLE.com:080',
    'localhost:0',
    'localhost:65535',
    'a:',
    'a.b.',
    'a_b-c~d',
    "a!$&'()*+,;=b",
    '127.0.0.1',
    '127.0.0.1:8080',
    '[::1]',
    '[::1]:443',
    '[::]',
    '[2001:db8::1]',
    '[2001:DB8:0:0:0:0:0:1]:8443',
    '[::ffff:192.0.2.1]',
    '[1::]',
    '[1:2:3:4:5:6::8]',
  ];
  const invalid = [
    '',
    ':80',
    '127.0.0.1/api',
    '127.0.0.1\\api',
    '127.0.0.1:8080/api',
    'x?',
    'x#y',
    'u@x',
    'a b',
    'a\tb',
    'a:99999',
    'a:65536',
    'a:xy',
    'a:1:2',
    '[::1',
    '[::1]x',
    '[::1]:8o',
    '[zz]',
    '[]',
    '[:::]',
    '[1:2:3:4:5:6:7:8:9]',
    '[1:2:3:4:5:6:7]',
    '[1::2::3]',
    '[12345::]',
    '[:1::]',
    '[1:]',
    '[::1.2.3]',
    '[::1.2.3.256]',
    '[::1.2.3.4:5]',
    '[fe80::1%25eth0]',
    '[v1.x]',
    '::1',
    'a%41',
    'a%2Fb',
    'é.com',
    'a\r\nb',
    'a%2Eb',
    'a%2',
    'a%zz',
    'h:123456',
    'h:-1',
    '[:]',
    '[::1]/x',
  ];
  it.each(valid)('accepts %j', (host) => expect(isValidHost(host)).toBe(true));
  it.each(invalid)('rejects %j', (host) => expect(isValidHost(host)).toBe(false));

  it('takes linear time on long hostile input', () => {
    const long = `[${'1:'.repeat(200_000)}`;
    const start = performance.now();
    expect(isValidHost(long)).toBe(false);
    expect(isValidHost('a'.repeat(1_000_000) + ':1'.repeat(10))).toBe(false);
    expect(isValidHost(`${'a'.repeat(1 << 20)}/`)).toBe(false);
    expect(isValidHost(`[${':'.repeat(1 << 20)}`)).toBe(false);
    expect(isValidHost('%41'.repeat(1 << 18))).toBe(false);
    expect(performance.now() - start).toBeLessThan(500);
  });
});
