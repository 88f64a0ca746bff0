import { describe, expect, it } from 'vitest';
import { goAddrString } from '../../src/http/go-addr.ts';

// Expected values are what Go's netip.ParseAddr(s).String() gives (nil for a parse error).
describe('goAddrString', () => {
  const table: Array<[string, string | undefined]> = [
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['01.2.3.4', undefined],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1::2::3', undefined],
    ['12345::1', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1.2.3.4::', undefined],
    ['junk', undefined],
    ['', undefined],
  ];
  for (const [input, want] of table)
    it(`${JSON.stringify(input)} → ${String(want)}`, () => expect(goAddrString(input)).toBe(want));
});
