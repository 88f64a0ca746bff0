import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/caddyfile/lexer.ts';

const texts = (input: string) => tokenize(input, 'Caddyfile').map((t) => t.text);
const lines = (input: string) => tokenize(input, 'Caddyfile').map((t) => t.line);

describe('lexer: tokens and lines', () => {
  it('splits on whitespace and counts lines', () => {
    const toks = tokenize('example.com {\n\trespond "hi" 200\n}\n', 'Caddyfile');
    expect(toks.map((t) => [t.text, t.line, t.quote])).toEqual([
      ['example.com', 1, ''],
      ['{', 1, ''],
      ['respond', 2, ''],
      ['hi', 2, '"'],
      ['200', 2, ''],
      ['}', 3, ''],
    ]);
  });

  it('drops a leading byte-order mark and carriage returns', () => {
    expect(texts('\ufeffa\r\nb\r\n')).toEqual(['a', 'b']);
    expect(lines('a\r\nb')).toEqual([1, 2]);
  });

  it('treats # as a comment only at the start of a token', () => {
    expect(texts('a # comment here\nb#c /path#frag\n#whole line\nd')).toEqual(['a', 'b#c', '/path#frag', 'd']);
  });
});

describe('lexer: quoting', () => {
  it('opens double quotes only at the start of a token', () => {
    expect(texts('ab"c d" "e f"')).toEqual(['ab"c', 'd"', 'e f']);
  });

  it('only unescapes \\" inside double quotes', () => {
    expect(texts('"a \\"b\\" \\\\d \\n"')).toEqual(['a "b" \\\\d \\n']);
  });

  it('keeps backslashes literal in backticks and outside quotes', () => {
    expect(texts('`a \\` ^\\.(css)$')).toEqual(['a \\', '^\\.(css)$']);
  });

  it('yields an empty token for ""', () => {
    const toks = tokenize('respond ""', 'Caddyfile');
    expect(toks.map((t) => [t.text, t.quote])).toEqual([
      ['respond', ''],
      ['', '"'],
    ]);
  });

  it('keeps newlines inside quotes and counts them for the next token', () => {
    const toks = tokenize('respond "a\nb" 200\nnext', 'Caddyfile');
    expect(toks.map((t) => [t.text, t.line])).toEqual([
      ['respond', 1],
      ['a\nb', 1],
      ['200', 2],
      ['next', 3],
    ]);
  });

  it('marks quoted braces as text', () => {
    const toks = tokenize('a "{" `}`', 'Caddyfile');
    expect(toks.map((t) => t.quote)).toEqual(['', '"', '`']);
  });
});

describe('lexer: line continuation', () => {
  it('joins the next line into the same logical line', () => {
    const toks = tokenize('respond a \\\n  b\nc', 'Caddyfile');
    expect(toks.map((t) => [t.text, t.line])).toEqual([
      ['respond', 1],
      ['a', 1],
      ['b', 1],
      ['c', 3],
    ]);
  });
});

describe('lexer: heredocs', () => {
  it('strips the closing marker indentation and keeps following args on the line', () => {
    const toks = tokenize('respond <<HTML\n\t\t<b>hi</b>\n\n\t\t  x\n\t\tHTML 200\nnext', 'Caddyfile');
    expect(toks.map((t) => [t.text, t.quote, t.line])).toEqual([
      ['respond', '', 1],
      ['<b>hi</b>\n\n  x', '<<', 1],
      ['200', '', 5],
      ['next', '', 6],
    ]);
  });

  it('rejects lines with less indentation than the marker', () => {
    expect(() => tokenize('respond <<END\n\tline1\n  END\n', 'Caddyfile')).toThrow(
      /mismatched leading whitespace in heredoc <<END on line #2 \[\tline1\], expected whitespace \[ {2}\]/,
    );
  });

  it('reports missing, invalid and over-long markers', () => {
    expect(() => tokenize('respond <<\nx\n', 'Caddyfile')).toThrow(/missing opening heredoc marker on line #1/);
    expect(() => tokenize('respond <<END!\nx\nEND!\n', 'Caddyfile')).toThrow(
      /heredoc marker on line #1 must contain only/,
    );
    expect(() => tokenize('respond <<<END\nx\nEND\n', 'Caddyfile')).toThrow(/too many '<' for heredoc on line #1/);
    expect(() => tokenize('respond <<END\nnever closed\n', 'Caddyfile')).toThrow(/incomplete heredoc <<END/);
  });

  it('is not a heredoc when followed by a space or escaped', () => {
    expect(texts('a << b')).toEqual(['a', '<<', 'b']);
    expect(texts('a \\<<END\nb')).toEqual(['a', '<<END', 'b']);
  });
});
