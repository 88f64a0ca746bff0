import { describe, expect, it } from 'vitest';
import { parseCaddyfile } from '../../src/caddyfile/parser.ts';
import type { FileSource } from '../../src/caddyfile/serverblock.ts';

function parse(text: string, env: Record<string, string> = {}, files?: Record<string, string>) {
  const source: FileSource | undefined = files && {
    read: (p) => files[p],
    glob: (pattern) => {
      const re = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace('*', '[^/]*')
          .replace('?', '[^/]')}$`,
      );
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
    isDirectory: () => false,
  };
  return parseCaddyfile(text, { filename: 'Caddyfile', env, files: source });
}
const summary = (text: string, env: Record<string, string> = {}, files?: Record<string, string>) =>
  parse(text, env, files).map((b) => ({
    keys: b.keys.map((k) => k.text),
    segments: b.segments.map((s) => s.map((t) => t.text)),
  }));

describe('parser: blocks and addresses', () => {
  it('reads the global options block and sites', () => {
    expect(summary('{\n\tdebug\n}\na.com, b.com {\n\trespond hi\n}\n')).toEqual([
      { keys: [], segments: [['debug']] },
      { keys: ['a.com', 'b.com'], segments: [['respond', 'hi']] },
    ]);
  });

  it('accepts the single-site form without braces', () => {
    const blocks = parse(':8080\nrespond hi\nheader X-A b\n');
    expect(blocks).toHaveLength(1);
    expect(blocks[0].hasBraces).toBe(false);
    expect(blocks[0].segments.map((s) => s[0].text)).toEqual(['respond', 'header']);
  });

  it('continues addresses after a trailing comma', () => {
    expect(summary('a.com,\nb.com {\n}\n')[0].keys).toEqual(['a.com', 'b.com']);
  });

  it('rejects commas glued inside an address and braces glued to one', () => {
    expect(() => parse('a.com,b.com {\n}\n')).toThrow(/Site addresses cannot contain a comma/);
    expect(() => parse('a.com{\n}\n')).toThrow(/Site addresses cannot end with a curly brace/);
  });

  it('rejects a matcher defined outside a site with the file and line', () => {
    expect(() => parse('@foo path /x\n')).toThrow(
      /^Caddyfile:1 - Error during parsing: request matchers may not be defined globally/,
    );
  });

  it('enforces brace placement', () => {
    expect(() => parse('a {\n\trespond "x" { close }\n}\n')).toThrow(
      /Caddyfile:2 .*Unexpected next token after '\{' on same line/,
    );
    expect(() => parse('a {\n\treverse_proxy x\n\t{\n\t}\n}\n')).toThrow(/Unexpected '\{' on a new line/);
    expect(() => parse(':80\nrespond x }\n')).toThrow(/Unexpected '}' because no matching opening brace/);
    // a stray `}` after a site block would otherwise become a site named `}`
    expect(() => parse(':80 {\n\trespond x\n}\n}\n')).toThrow(
      "Caddyfile:4 - Error during parsing: subject does not qualify for certificate: '}'",
    );
    expect(() => parse('a.com {\n}\n} {\n}\n')).toThrow(
      "Caddyfile:3 - Error during parsing: subject does not qualify for certificate: '}'",
    );
    expect(() => parse('a {\n\theader {\n\t\tX y\n')).toThrow(/unexpected EOF/);
  });

  it('keeps nested blocks inside one segment', () => {
    expect(summary('a {\n\theader {\n\t\tX y\n\t}\n\trespond z\n}')[0].segments).toEqual([
      ['header', '{', 'X', 'y', '}'],
      ['respond', 'z'],
    ]);
  });
});

describe('parser: environment substitution', () => {
  it('substitutes {$VAR} and uses the default only when unset', () => {
    expect(summary(':80\nrespond {$A} {$B:dflt} {$C:dflt} x{$A}y', { A: 'one', C: '' })[0].segments[0]).toEqual([
      'respond',
      'one',
      'dflt',
      'xoney',
    ]);
  });

  it('can expand to several tokens and into addresses', () => {
    expect(summary('{$SITE} {\n\trespond {$BODY}\n}', { SITE: 'a.com b.com', BODY: 'hi 201' })).toEqual([
      { keys: ['a.com', 'b.com'], segments: [['respond', 'hi', '201']] },
    ]);
  });
});

describe('parser: snippets and imports', () => {
  it('expands a snippet with {args[N]}, {args.N} and {args[:]}', () => {
    const text =
      '(s) {\n\trespond "{args[0]}-{args.1}" {args[2:]}\n\theader X {args[:]}\n}\na {\n\timport s a b 201\n}\n';
    expect(summary(text)[0].segments).toEqual([
      ['respond', 'a-b', '201'],
      ['header', 'X', 'a', 'b', '201'],
    ]);
  });

  it('leaves out-of-range args untouched', () => {
    expect(summary('(s) {\n\trespond {args[3]}\n}\na {\n\timport s x\n}\n')[0].segments[0]).toEqual([
      'respond',
      '{args[3]}',
    ]);
  });

  it('imports snippets at the top level between sites', () => {
    expect(summary('(site) {\n\ta.com {\n\t\trespond a\n\t}\n}\nimport site\n').map((b) => b.keys)).toEqual([
      ['a.com'],
    ]);
  });

  it('replaces {block} and {blocks.name}', () => {
    const text =
      '(s) {\n\troute {\n\t\t{block}\n\t}\n\t{blocks.extra}\n}\na {\n\timport s {\n\t\textra {\n\t\t\theader X y\n\t\t}\n\t}\n}\n';
    const segs = summary(text)[0].segments;
    expect(segs[0]).toEqual(['route', '{', 'extra', '{', 'header', 'X', 'y', '}', '}']);
    expect(segs[1]).toEqual(['header', 'X', 'y']);
  });

  it('detects import cycles', () => {
    expect(() => parse('(i1) {\n\timport i2\n}\n(i2) {\n\timport i1\n}\nimport i1\n')).toThrow(
      /a cycle of imports exists between Caddyfile:i2 and Caddyfile:i1/,
    );
  });

  it('rejects redeclared snippets', () => {
    expect(() => parse('(s) {\n}\n(s) {\n}\n')).toThrow(/redeclaration of previously declared snippet s/);
  });

  it('imports files relative to the importing file, with args and globs', () => {
    const files = {
      'conf/site.caddy': 'respond {args[0]}\n',
      'conf/sites/a.caddy': 'a.com {\n\timport ../site.caddy A\n}\n',
      'conf/sites/b.caddy': 'b.com {\n\trespond B\n}\n',
      'conf/sites/.hidden': 'c.com {\n}\n',
    };
    const blocks = summary('import sites/*\n', {}, files);
    expect(blocks).toEqual([]);
    // The main file lives in conf/ so relative imports resolve there.
    const res = parseCaddyfile('import sites/*\n', {
      filename: 'conf/Caddyfile',
      files: {
        read: (p) => (files as Record<string, string>)[p],
        glob: (p) =>
          Object.keys(files)
            .filter((f) => f.startsWith(p.slice(0, p.indexOf('*'))))
            .sort(),
        isDirectory: () => false,
      },
    });
    expect(res.map((b) => [b.keys[0].text, b.segments[0].map((t) => t.text)])).toEqual([
      ['a.com', ['respond', 'A']],
      ['b.com', ['respond', 'B']],
    ]);
    expect(res[0].segments[0][0].file).toBe('conf/site.caddy');
    expect(res[0].segments[0][0].imports).toEqual(['conf/sites/a.caddy:2 (import)']);
    expect(res[1].segments[0][0].imports).toEqual(['conf/Caddyfile:1 (import)']);
  });

  it('names a missing import file', () => {
    expect(() => parse('a {\n\timport nope.caddy\n}\n', {}, {})).toThrow(
      /Caddyfile:2 - Error during parsing: File to import not found: nope.caddy/,
    );
  });
});
