import { describe, expect, it } from 'vitest';
import { maskKey } from '../../src/ratelimit/key-prefix.ts';
import { formatIpv6Groups } from '../../src/util/ipv6-text.ts';

// One RFC 5952 writer serves client_ip's canonical form and rate-limit keys' IPv6 networks.

describe('formatIpv6Groups', () => {
  it.each([
    [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[0x2001, 0, 0, 1, 0, 0, 1, 1], '2001::1:0:0:1:1'],
    [[1, 0, 2, 0, 3, 0, 4, 0], '1:0:2:0:3:0:4:0'],
    [[0xabcd, 0, 0, 0, 0, 0, 0, 0], 'abcd::'],
  ])('%j → %s', (groups, text) => expect(formatIpv6Groups(groups)).toBe(text));
});

describe('rate-limit keys by network', () => {
  it('masks an IPv6 key to its prefix and writes it in RFC 5952 form', () => {
    expect(maskKey('2001:db8:1:2:3:4:5:6', undefined, 48)).toBe('2001:db8:1::/48');
    expect(maskKey('2001:0db8:0000::1', undefined, 64)).toBe('2001:db8::/64');
    expect(maskKey('203.0.113.9', 24)).toBe('203.0.113.0/24');
  });
});
