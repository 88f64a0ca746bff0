import { describe, expect, it } from 'vitest';
import { xxhash64, xxhash64Bytes } from '../../src/util/xxhash64.ts';

// Expected values from the reference C library (libxxhash 0.8.1, XXH64 seed 0) and the xxHash spec vectors.
describe('xxhash64', () => {
  it('matches the published vectors for short inputs', () => {
    expect(xxhash64('')).toBe(0xef46db3751d8e999n);
    expect(xxhash64('a')).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxhash64('abc')).toBe(0x44bc2cf5ad770999n);
  });

  it('handles the 32-byte stripe loop and the 8/4/1-byte tails', () => {
    expect(xxhash64('Nobody inspects the spammish repetition')).toBe(0xfbcea83c8a378bf1n);
    expect(xxhash64('x'.repeat(100))).toBe(0x92f0de5a88a3c094n);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    expect(xxhash64('héllo wörld ✓ 日本語 with more than thirty-two bytes!')).toBe(0x04f31e052f29a358n);
    expect(xxhash64Bytes(new TextEncoder().encode('abc'))).toBe(xxhash64('abc'));
  });

  it('honours a seed', () => {
    expect(xxhash64('', 1n)).toBe(0xd5afba1336a3be4bn);
    expect(xxhash64('abc', 2654435761n)).toBe(0x1318df30094a85fdn);
  });
});
