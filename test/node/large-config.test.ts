import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { tokenize } from '../../src/caddyfile/lexer.ts';

// Big but valid Caddyfiles must adapt in time proportional to their size: a quadratic step turns a few megabytes
// (an authenticated `/load` body) into minutes of CPU. The bound is generous for a shared CI machine and still far
// below what a quadratic lexer or formatter needs for these sizes.
const BOUND_MS = 3000;
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
    expect(lexMs + ms).toBeLessThan(BOUND_MS);
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
