import { describe, expect, it } from 'vitest';
import { Dispenser } from '../../src/caddyfile/dispenser.ts';
import type { Token } from '../../src/caddyfile/token.ts';

const tok = (text: string, line: number, quote: Token['quote'] = ''): Token => ({
  file: 'Caddyfile',
  line,
  text,
  quote,
});

describe('Dispenser', () => {
  it('reads arguments on the same line and blocks below', () => {
    const d = new Dispenser([tok('dir', 1), tok('a', 1), tok('{', 1), tok('sub', 2), tok('x', 2), tok('}', 3)]);
    expect(d.next()).toBe(true);
    expect(d.remainingArgs()).toEqual(['a']);
    const seen: string[] = [];
    for (const n = d.nesting(); d.nextBlock(n); ) seen.push(d.val(), ...d.remainingArgs());
    expect(seen).toEqual(['sub', 'x']);
  });
  it('treats a quoted brace as text', () => {
    const d = new Dispenser([tok('dir', 1), tok('{', 1, '"')]);
    d.next();
    expect(d.remainingArgs()).toEqual(['{']);
  });
  it('names file and line in errors', () => {
    const d = new Dispenser([tok('dir', 7)]);
    d.next();
    expect(d.argErr().message).toBe(
      "Caddyfile:7 - Error during parsing: wrong argument count or unexpected line ending after 'dir'",
    );
  });
});
