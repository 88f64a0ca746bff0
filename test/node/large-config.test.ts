import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import { tokenize } from '../../src/caddyfile/lexer.ts';
import { MAX_NESTING } from '../../src/caddyfile/parser.ts';
import type { FileSource } from '../../src/caddyfile/serverblock.ts';
import type { CaddyConfigJSON, RouteJSON } from '../../src/config/caddy-json.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { ConfigError } from '../../src/config/errors.ts';

// Big but valid Caddyfiles must adapt in time proportional to their size: a quadratic step turns a few megabytes
// (an authenticated `/load` body) into minutes of CPU. The bound is generous for a shared CI machine and still far
// below what a quadratic lexer or formatter needs for these sizes.
const BOUND_MS = 3000;
/** For 10 MB: a quadratic lexer needs hours here, a linear one well under a second when the machine is idle. */
const BOUND_10MB_MS = 10_000;
const MB = 1024 * 1024;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

function respondBody(caddyfile: string): unknown {
  const { config } = adaptCaddyfile(caddyfile, { filename: 'Caddyfile' });
  const routes = config.apps?.http?.servers?.srv0?.routes ?? [];
  return (routes[0]?.handle?.[0] as { body?: string } | undefined)?.body;
}

describe('large tokens lex and adapt in linear time', () => {
  it('a 10 MB unquoted token', () => {
    const token = 'a'.repeat(10 * MB);
    const input = `:8080 {\n\trespond ${token}\n}\n`;
    const { value: tokens, ms: lexMs } = timed(() => tokenize(input, 'Caddyfile'));
    expect(tokens.map((t) => t.text.length)).toEqual([5, 1, 7, token.length, 1]);
    const { value: body, ms } = timed(() => respondBody(input));
    expect(body).toBe(token);
    expect(lexMs + ms).toBeLessThan(BOUND_10MB_MS);
  });

  it('a 2 MB heredoc', () => {
    const line = 'x'.repeat(1023);
    const lines = Array.from({ length: 2048 }, () => line);
    const input = `:8080 {\n\trespond <<EOF\n${lines.map((l) => `\t${l}\n`).join('')}\tEOF 200\n}\n`;
    const { value: tokens, ms: lexMs } = timed(() => tokenize(input, 'Caddyfile'));
    expect(tokens[3].text).toBe(lines.join('\n'));
    expect(tokens[4]).toMatchObject({ text: '200', line: 2 + lines.length + 1 });
    const { value: body, ms } = timed(() => respondBody(input));
    expect(body).toBe(lines.join('\n'));
    expect(lexMs + ms).toBeLessThan(BOUND_MS);
  });

  it('a 2 MB quoted token', () => {
    const text = 'q '.repeat(MB);
    const input = `:8080 {\n\trespond "${text}"\n}\n`;
    const { value: body, ms } = timed(() => respondBody(input));
    expect(body).toBe(text);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('a heredoc that never closes is an error on its line, also when big', () => {
    const input = `:8080 {\n\trespond <<EOF\n${'y'.repeat(2 * MB)}\n}\n`;
    const { ms } = timed(() => {
      expect(() => tokenize(input, 'Caddyfile')).toThrow(
        /^Caddyfile:2 - Error during parsing: incomplete heredoc <<EOF on line #5, expected ending marker EOF$/,
      );
    });
    expect(ms).toBeLessThan(BOUND_MS);
  });
});

// Tens of thousands of tokens in one import, snippet, block or line: nothing may pass them as spread arguments
// (`push(...tokens)` overflows the stack at around a hundred thousand), and nothing may be quadratic in them.
describe('large imports, snippets, blocks and lines adapt', () => {
  const files = (contents: Record<string, string>): FileSource => ({
    read: (path) => contents[path],
    glob: () => [],
    isDirectory: () => false,
  });
  const redirLines = (n: number) => Array.from({ length: n }, (_, i) => `redir /a${i} /b${i} 301`);
  const adapt = (text: string, contents: Record<string, string> = {}) =>
    adaptCaddyfile(text, { filename: 'Caddyfile', files: files(contents) }).config;
  const routeCount = (config: CaddyConfigJSON) => config.apps?.http?.servers?.srv0?.routes?.length;

  it('an imported file of 40,000 redir lines (160k tokens), through adapt and compile', () => {
    const config = adapt(':8080 {\n\timport redirs.caddy\n}\n', { 'redirs.caddy': redirLines(40_000).join('\n') });
    expect(routeCount(config)).toBe(40_000);
    expect(compileConfig(config).servers).toHaveLength(1);
  }, 60_000);

  it('a snippet of 160k tokens', () => {
    const config = adapt(`(many) {\n\t${redirLines(40_000).join('\n\t')}\n}\n:8080 {\n\timport many\n}\n`);
    expect(routeCount(config)).toBe(40_000);
  }, 60_000);

  it('an import block of 160k tokens used as {block}', () => {
    const config = adapt(
      `(wrap) {\n\t{block}\n}\n:8080 {\n\timport wrap {\n${redirLines(40_000).join('\n')}\n\t}\n}\n`,
    );
    expect(routeCount(config)).toBe(40_000);
  }, 60_000);

  it('150k import arguments spread by {args[:]}', () => {
    const hosts = Array.from({ length: 150_000 }, (_, i) => `h${i}:80`);
    const config = adapt(`(proxy) {\n\treverse_proxy {args[:]}\n}\n:8080 {\n\timport proxy ${hosts.join(' ')}\n}\n`);
    const handler = config.apps?.http?.servers?.srv0?.routes?.[0]?.handle?.[0] as { upstreams?: unknown[] };
    expect(handler.upstreams).toHaveLength(150_000);
  }, 60_000);

  it('a directive line of 150k arguments', () => {
    const hosts = Array.from({ length: 150_000 }, (_, i) => `h${i}:80`);
    const config = adapt(`:8080 {\n\treverse_proxy ${hosts.join(' ')}\n}\n`);
    const handler = config.apps?.http?.servers?.srv0?.routes?.[0]?.handle?.[0] as { upstreams?: unknown[] };
    expect(handler.upstreams).toHaveLength(150_000);
  }, 60_000);

  it('9,000 imports ahead of 600k more tokens: splicing an import does not move the rest', () => {
    const text = `(one) {\n\theader A b\n}\n(many) {\n${'\timport one\n'.repeat(9000)}}\n:8080 {\n\timport many\n\t@long path ${'/x '.repeat(600_000)}\n}\n`;
    const { value: config, ms } = timed(() => adapt(text));
    expect(JSON.stringify(config).match(/"handler":"headers"/g)).toHaveLength(9000);
    expect(ms).toBeLessThan(BOUND_MS * 2);
  }, 60_000);

  it('5,000 imports of a snippet in one site stay fast', () => {
    const imports = Array.from({ length: 5000 }, () => '\timport two').join('\n');
    const { ms } = timed(() => {
      expect(() => adapt(`(two) {\n\theader A b\n\theader C d\n}\n:8080 {\n${imports}\n}\n`)).not.toThrow();
    });
    expect(ms).toBeLessThan(BOUND_MS * 3);
  }, 60_000);
});

describe('nesting depth', () => {
  const nested = (open: string, depth: number) =>
    `:8080 {\n${`${open} {\n`.repeat(depth)}respond hi\n${'}\n'.repeat(depth)}}\n`;

  it(`${MAX_NESTING} levels of route, handle and not adapt, compile and serve`, async () => {
    for (const open of ['route', 'handle', 'handle_path /*']) {
      const config = adaptCaddyfile(nested(open, MAX_NESTING), { filename: 'Caddyfile' }).config;
      const res = await compileConfig(config).serve(new Request('http://a.test/x'), {});
      expect(await res.text()).toBe('hi');
    }
    const not = `:8080 {\n\t@m {\n${'not {\n'.repeat(MAX_NESTING - 1)}path /x\n${'}\n'.repeat(MAX_NESTING - 1)}\t}\n\trespond @m hi\n}\n`;
    const config = adaptCaddyfile(not, { filename: 'Caddyfile' }).config;
    expect(await (await compileConfig(config).serve(new Request('http://a.test/y'), {})).text()).toBe('hi');
  });

  it('one level deeper is one short error at the line of the brace too many', () => {
    for (const depth of [MAX_NESTING + 1, 3000]) {
      let message = '';
      try {
        adaptCaddyfile(nested('route', depth), { filename: 'Caddyfile' });
      } catch (e) {
        expect(e).toBeInstanceOf(CaddyfileError);
        message = (e as Error).message;
      }
      expect(message).toBe(
        `Caddyfile:${MAX_NESTING + 2} - Error during parsing: blocks are nested more than ${MAX_NESTING} levels deep`,
      );
    }
  });

  it('a named route body is held to the same depth', () => {
    const text = `&(deep) {\n${'route {\n'.repeat(MAX_NESTING)}respond hi\n${'}\n'.repeat(MAX_NESTING)}}\n:8080 {\n\tinvoke deep\n}\n`;
    expect(() => adaptCaddyfile(text, { filename: 'Caddyfile' })).toThrow(
      `Caddyfile:${MAX_NESTING + 1} - Error during parsing: blocks are nested more than ${MAX_NESTING} levels deep`,
    );
  });

  it('a JSON route tree too deep to compile is a ConfigError', () => {
    let routes: RouteJSON[] = [{ handle: [{ handler: 'static_response', body: 'hi' }] }];
    for (let i = 0; i < 50_000; i++) routes = [{ handle: [{ handler: 'subroute', routes }] }];
    const config: CaddyConfigJSON = { apps: { http: { servers: { srv0: { listen: [':8080'], routes } } } } };
    expect(() => compileConfig(config)).toThrow(ConfigError);
    expect(() => compileConfig(config)).toThrow('apps.http.servers.srv0: routes are nested too deeply to compile');
  });
});
