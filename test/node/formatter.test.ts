import { describe, expect, it } from 'vitest';
import { formatCaddyfile } from '../../src/caddyfile/formatter.ts';

describe('formatter (caddy fmt)', () => {
  it('indents blocks with tabs and puts braces in place', () => {
    expect(formatCaddyfile('example.com {\nrespond "hi"\n  header {\n X-A b\n}\n}')).toBe(
      'example.com {\n\trespond "hi"\n\theader {\n\t\tX-A b\n\t}\n}\n',
    );
  });

  it('moves a brace on its own line up to the end of the previous line', () => {
    expect(formatCaddyfile('a.com\n{\nrespond x\n}\n')).toBe('a.com {\n\trespond x\n}\n');
  });

  it('collapses runs of blank lines to one (as caddy fmt does, a following block is not separated)', () => {
    expect(formatCaddyfile('a {\n\trespond x\n\n\n\n\theader y\n}\nb {\n}\n')).toBe(
      'a {\n\trespond x\n\n\theader y\n}\nb {\n}\n',
    );
  });

  it('leaves comments, quotes and heredoc bodies alone', () => {
    const input = 'a {\n# keep   this\nrespond "  spaced {  }  " `{x}`\nrespond <<EOF\n      body  {\n    EOF 200\n}\n';
    expect(formatCaddyfile(input)).toBe(
      'a {\n\t# keep   this\n\trespond "  spaced {  }  " `{x}`\n\trespond <<EOF\n      body  {\n    EOF 200\n}\n',
    );
  });

  it('separates a block written on the same line as the previous closing brace', () => {
    expect(formatCaddyfile('a {\n}b {\n}\n')).toBe('a {\n}\n\nb {\n}\n');
  });

  it('is idempotent', () => {
    const once = formatCaddyfile('{\ndebug\n}\n:8080 {\n  handle_path /api/* {\nreverse_proxy a b\n}\n}\n');
    expect(formatCaddyfile(once)).toBe(once);
  });
});
