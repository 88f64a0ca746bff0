import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../src/cli/line-diff.ts';

// fmt --diff's alignment, checked against what caddy 2.6.2 `fmt --diff` printed for the same input.

describe('lineDiff', () => {
  it('matches a repeated line where Caddy does, removing before adding', () => {
    const before = '(s) {\nimport s\n}\n\t\theader X 1\n{\n  log\nencode  gzip\nimport s\n  }\n'.split('\n');
    const after = '(s) {\n\timport s\n}\nheader X 1 {\n\tlog\n\tencode gzip\n\timport s\n}\n'.split('\n');
    expect(lineDiff(before, after)).toBe(
      '  (s) {\n- import s\n+ \timport s\n+ }\n+ header X 1 {\n+ \tlog\n+ \tencode gzip\n+ \timport s\n  }\n- \t\theader X 1\n- {\n-   log\n- encode  gzip\n- import s\n-   }\n  \n',
    );
  });

  it('prints unchanged input as context only', () => {
    expect(lineDiff(['a {', '}', ''], ['a {', '}', ''])).toBe('  a {\n  }\n  \n');
  });

  it('stays bounded on a large file that changed everywhere: all removed, then all added', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `  line ${i}`);
    const after = before.map((l) => l.trim());
    const out = lineDiff(before, after).split('\n');
    expect(out[0]).toBe('-   line 0');
    expect(out[3000]).toBe('+ line 0');
    expect(out.length).toBe(6001);
  });
});
