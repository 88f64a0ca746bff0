import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileFieldFilter, type LogField } from '../../src/logging/field-filter.ts';
import '../../src/logging/filters/index.ts';
import { sha256HexSync } from '../../src/util/sha256-sync.ts';

// Each field filter on the values a Caddy 2.6.2 access log holds: strings (request>uri, remote_ip), header lists
// (string arrays) and other JSON (numbers, objects). test/parity/log-filters.test.ts checks the same against Caddy.

const h8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

function run(
  json: Record<string, unknown>,
  value: unknown,
  key = 'f',
  path = 'request>headers>f',
): LogField | undefined {
  return compileFieldFilter(json, path)({ key, value });
}

describe('sha256HexSync', () => {
  it('matches node:crypto across padding boundaries and UTF-8', () => {
    for (const s of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'h\u00e9llo \u{1f600}'.repeat(70)]) {
      expect(sha256HexSync(s)).toBe(createHash('sha256').update(s).digest('hex'));
    }
  });
});

describe('delete / rename / replace', () => {
  it('delete leaves the field out', () => {
    expect(run({ filter: 'delete' }, ['Bearer x'])).toBeUndefined();
  });
  it('rename keeps the value under the new key', () => {
    expect(run({ filter: 'rename', name: 'hostname' }, 'example.com', 'host')).toEqual({
      key: 'hostname',
      value: 'example.com',
    });
  });
  it('replace turns any value, a header list or a number too, into the string', () => {
    expect(run({ filter: 'replace', value: 'REDACTED' }, ['Bearer a', 'Basic b'])).toEqual({
      key: 'f',
      value: 'REDACTED',
    });
    expect(run({ filter: 'replace' }, 200)).toEqual({ key: 'f', value: '' });
  });
});

describe('hash', () => {
  it('hashes a string once, a request header value twice and a response header value once, as Caddy 2.6.2', () => {
    expect(run({ filter: 'hash' }, 'GET', 'method', 'request>method')?.value).toBe(h8('GET'));
    expect(run({ filter: 'hash' }, ['hunter2', ''])?.value).toEqual([h8(h8('hunter2')), h8(h8(''))]);
    expect(run({ filter: 'hash' }, ['hunter2'], 'X-Out', 'resp_headers>X-Out')?.value).toEqual([h8('hunter2')]);
  });
  it('keeps numbers and objects', () => {
    expect(run({ filter: 'hash' }, 404)?.value).toBe(404);
    expect(run({ filter: 'hash' }, { a: 'b' })?.value).toEqual({ a: 'b' });
  });
});

describe('ip_mask', () => {
  const mask = { filter: 'ip_mask', ipv4_cidr: 24, ipv6_cidr: 48 };
  it('masks every address of a comma list, ports and brackets kept', () => {
    expect(run(mask, '2001:db8:1:2:3:4:5:6, 10.1.2.3:8080, unknown')?.value).toBe(
      '2001:db8:1::, 10.1.2.0:8080, unknown',
    );
    expect(run(mask, ['[2001:db8::9]:443,::ffff:10.9.8.7'])?.value).toEqual(['[2001:db8::]:443, 10.9.8.0']);
  });
  it('keeps what is not an address, but rejoins its comma parts as Caddy does', () => {
    expect(run(mask, 'fe80::1%eth0')?.value).toBe('fe80::1%eth0');
    expect(run(mask, '01.2.3.4')?.value).toBe('01.2.3.4');
    expect(run(mask, 'a,b')?.value).toBe('a, b');
    expect(run(mask, 8080)?.value).toBe(8080);
  });
  it('prints Go’s "<nil>" where no mask applies (unset or longer than the address)', () => {
    expect(run({ filter: 'ip_mask' }, '192.168.1.1')?.value).toBe('<nil>');
    expect(run({ filter: 'ip_mask', ipv4_cidr: 33, ipv6_cidr: 64 }, '1.2.3.4:80, 2001:db8::1')?.value).toBe(
      '<nil>:80, 2001:db8::',
    );
  });
});

describe('query', () => {
  const q = {
    filter: 'query',
    actions: [
      { type: 'delete', parameter: 'token' },
      { type: 'replace', parameter: 'key', value: 'XX' },
      { type: 'hash', parameter: 'h' },
    ],
  };
  it('deletes, replaces every repeat, and re-encodes the query with sorted keys', () => {
    expect(run(q, '/search?q=one&token=s3cret&q=two&key=k1&h=abc&key=k2')?.value).toBe(
      // 2.6.2 hashes the action's empty value, not the parameter's
      `/search?h=${h8('')}&key=XX&key=XX&q=one&q=two`,
    );
  });
  it('drops pairs Go cannot parse and keeps the escaped path as sent', () => {
    expect(run(q, '/p%41th%2fx/?b=%zz&a=1;2&c=%FF&c=&z&%41=1+2')?.value).toBe('/p%41th%2fx/?A=1+2&c=%FF&c=&z=');
    expect(run(q, '/a b/é?x=é')?.value).toBe('/a%20b/%C3%A9?x=%C3%A9');
  });
  it('keeps a URI Go cannot parse, and a trailing ?', () => {
    expect(run(q, '/a?b=1#frag%zz')?.value).toBe('/a?b=1#frag%zz');
    expect(run(q, '/p%zz?token=1')?.value).toBe('/p%zz?token=1');
    expect(run(q, '/empty?')?.value).toBe('/empty?');
    expect(run(q, ['/x?token=1'])?.value).toEqual(['/x?token=1']);
  });
});

describe('cookie', () => {
  const c = {
    filter: 'cookie',
    actions: [
      { type: 'replace', name: 'session', value: 'REDACTED' },
      { type: 'hash', name: 'user' },
      { type: 'delete', name: 'tracking' },
    ],
  };
  it('applies the actions and writes the cookies back as one line, invalid ones dropped', () => {
    const lines = ['session=xyz; user=bob; tracking=1', 'theme="dark mode"; bad name=1; x=a\\b; empty=; user="q,"'];
    expect(run(c, lines)?.value).toEqual([
      `session=REDACTED; user=${h8('bob')}; theme=dark mode; empty=; user=${h8('q,')}`,
    ]);
  });
  it('gives an empty list when every cookie is deleted, and keeps a field that is not a list', () => {
    expect(run(c, ['tracking=1'])?.value).toEqual([]);
    expect(run(c, 'session=1')?.value).toBe('session=1');
  });
  it('quotes a replacement that starts or ends with a space or comma, dropping bytes a cookie cannot hold', () => {
    const r = { filter: 'cookie', actions: [{ type: 'replace', name: 'a', value: ' x;"é' }] };
    expect(run(r, ['a=1'])?.value).toEqual(['a=" x"']);
  });
  it('rejects an unknown action', () => {
    expect(() => compileFieldFilter({ filter: 'cookie', actions: [{ type: 'mask', name: 'a' }] })).toThrow(
      /invalid action type/,
    );
  });
});

describe('regexp', () => {
  it('replaces in a string once and in each header value twice, with Go templates', () => {
    const r = { filter: 'regexp', regexp: '([a-z]+)-(\\d+)', value: '${2}_$1' };
    expect(run(r, 'abc-123 ABC-1')?.value).toBe('123_abc ABC-1');
    expect(run({ filter: 'regexp', regexp: 'x', value: 'xy' }, ['x'])?.value).toEqual(['xyy']);
    expect(run({ filter: 'regexp', regexp: 'x', value: 'xy' }, ['x'], 'f', 'resp_headers>f')?.value).toEqual(['xy']);
  });
  it('multi_regexp runs each operation in order', () => {
    const m = {
      filter: 'multi_regexp',
      operations: [
        { regexp: 'a', value: 'b' },
        { regexp: 'b', value: 'c' },
      ],
    };
    expect(run(m, 'ab')?.value).toBe('cc');
  });
  it('a pattern that does not compile is a config error', () => {
    expect(() => compileFieldFilter({ filter: 'regexp', regexp: '(' })).toThrow(/invalid regexp/);
  });
});

describe('hostile values', () => {
  const MB = 1 << 20;
  // a quadratic pass over a megabyte takes minutes; the bound leaves room for a loaded machine
  const cases: Array<[string, Record<string, unknown>, unknown]> = [
    ['regexp', { filter: 'regexp', regexp: '[A-Za-z0-9]+=', value: 'X=' }, ['k='.repeat(MB / 2)]],
    ['hash', { filter: 'hash' }, ['x'.repeat(MB)]],
    ['ip_mask', { filter: 'ip_mask', ipv4_cidr: 8 }, `${'1.2.3.4,'.repeat(MB / 8)}`],
    ['cookie', { filter: 'cookie', actions: [{ type: 'hash', name: 'a' }] }, ['a=1; b; '.repeat(MB / 8)]],
    ['query', { filter: 'query', actions: [{ type: 'delete', parameter: 'a' }] }, `/?${'a=1&b=%41&'.repeat(MB / 11)}`],
  ];
  it.each(cases)('%s stays linear on a megabyte value', (_name, json, value) => {
    const started = performance.now();
    run(json, value);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});
