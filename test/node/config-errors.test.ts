import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareConfig } from '../../src/admin/prepare.ts';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import { nodeFileSource } from '../../src/cli/node-files.ts';
import { ConfigError } from '../../src/config/errors.ts';

// Bad Caddyfiles end in a CaddyfileError naming file:line (or, for what only the compiler sees, a ConfigError
// naming the JSON path), never in a TypeError, a RangeError or a regex SyntaxError, and never in a silent success.

/** The error `/load` would answer with (prepareConfig is what the admin API runs on a Caddyfile body). */
function loadError(caddyfile: string): Error {
  try {
    prepareConfig(caddyfile, 'text/caddyfile', {});
  } catch (e) {
    return e as Error;
  }
  throw new Error('the config was accepted');
}

describe('import patterns are globs in Go syntax', () => {
  it('an unclosed [ is a pattern syntax error on its line, also through /load (not an empty site)', () => {
    for (const [text, line] of [
      [':8080 {\n\timport [\n}\n', 2],
      [':8080 { import [ }', 1],
      ['import [\n', 1],
    ] as const) {
      const e = loadError(text);
      expect(e).toBeInstanceOf(CaddyfileError);
      expect(e.message).toBe(
        `Caddyfile:${line} - Error during parsing: Failed to use import pattern [: syntax error in pattern`,
      );
    }
  });

  it('a trailing backslash is a pattern syntax error', () => {
    expect(loadError(':8080 {\n\timport `snippets/\\`\n}\n').message).toBe(
      'Caddyfile:2 - Error during parsing: Failed to use import pattern snippets/\\: syntax error in pattern',
    );
  });

  describe('on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-glob-'));
    for (const name of ['a+b.caddy', 'x](1).caddy', '.hidden.caddy', 'x$.caddy']) {
      writeFileSync(join(dir, name), `header X-From "${name}"\n`);
    }
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const fromFiles = (pattern: string) => {
      const { config } = adaptCaddyfile(`:8080 {\n\timport ${pattern}\n}\n`, {
        filename: join(dir, 'Caddyfile'),
        files: nodeFileSource(dir),
      });
      return (
        JSON.stringify(config)
          .match(/X-From":\["[^"]+/g)
          ?.map((s) => s.slice(10)) ?? []
      );
    };

    it('regex characters in names are literal; * skips dotfiles; ? is one character', () => {
      expect(fromFiles('*.caddy')).toEqual(['a+b.caddy', 'x$.caddy', 'x](1).caddy']);
      expect(fromFiles('x](*')).toEqual(['x](1).caddy']);
      expect(fromFiles('a+?.caddy')).toEqual(['a+b.caddy']);
      expect(fromFiles('x$*')).toEqual(['x$.caddy']);
    });
  });
});

describe('errors name a file and line', () => {
  const cases: [string, string, string][] = [
    [
      'two sites with one address',
      'a.com {\n}\na.com {\n\trespond x\n}\n',
      'Caddyfile:3: ambiguous site definition: a.com',
    ],
    [
      'a bad port',
      'a.com:99x {\n}\n',
      `Caddyfile:1: parsing key: invalid port '99x': strconv.Atoi: parsing "99x": invalid syntax`,
    ],
    // Refused before the route is looked up (named routes have no runtime module yet), still at its line.
    [
      'an undefined named route',
      ':8080 {\n\tinvoke nope\n}\n',
      'Caddyfile:2 - Error during parsing: valid in Caddy but not supported by Gatehouse: invoke',
    ],
    [
      'a second keyless block',
      '{\n}\n:80 {\n}\n{\n\trespond hi\n}\n',
      'Caddyfile:6: server block without any key is global configuration, and if used, it must be first',
    ],
    [
      'duplicate servers options',
      '{\n\tservers :80 {\n\t}\n\tservers :80 {\n\t}\n}\n:80 {\n}\n',
      "Caddyfile:4: cannot have 'servers' global options with duplicate listener addresses: :80",
    ],
    [
      'a browser-only scheme',
      'ws://x.com {\n}\n',
      'Caddyfile:1: server block 0, key 0 (ws://x.com): determining listener address: the scheme ws:// is only supported in browsers; use http:// instead',
    ],
    [
      'a duplicate named route',
      '&(r) {\n\trespond a\n}\n&(r) {\n\trespond b\n}\n:80 {\n\tinvoke r\n}\n',
      'Caddyfile:4: cannot have duplicate named_routes: r',
    ],
    [
      'a bad global option value',
      '{\n\tauto_https sometimes\n}\n',
      "Caddyfile:2 - Error during parsing: auto_https must be one of 'off', 'disable_redirects', 'disable_certs', or 'ignore_loaded_certs'",
    ],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      const e = loadError(text);
      expect(e).toBeInstanceOf(CaddyfileError);
      expect(e.message).toContain(message);
      expect(e.message).toMatch(/^(parsing caddyfile tokens for '[^']+': )?Caddyfile:\d+(: | - )/);
    });
  }

  it('a site name with no ASCII form is a ConfigError at its host matcher, not Invalid URL', () => {
    const e = loadError('é^.example.com {\n\trespond hi\n}\n');
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(
      "apps.http.servers.srv0.routes[0].match[0].host: converting hostname 'é^.example.com' to ASCII: not a valid name",
    );
  });
});
