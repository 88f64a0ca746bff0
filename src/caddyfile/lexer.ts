import { CaddyfileError } from './errors.ts';
import type { QuoteKind, Token } from './token.ts';

/**
 * Splits Caddyfile text into tokens with Caddy's lexical rules:
 * whitespace separates tokens; `#` starts a comment only at the start of a token; `"…"` and `` `…` `` quote only
 * when they open a token; inside double quotes the only escape is `\"`; backticks have no escapes; outside quotes a
 * backslash is literal except before a newline (line continuation) and before `<<` (escaped heredoc); `<<MARKER`
 * at the end of a line opens a heredoc whose closing marker's indentation is stripped from every line.
 */
export function tokenize(input: string, filename: string): Token[] {
  return new Lexer(input, filename).all();
}

const HEREDOC_MARKER = /^[A-Za-z0-9_-]+$/;

/** Go's unicode.IsSpace, which Caddy uses to separate tokens. */
function isSpace(ch: string): boolean {
  switch (ch) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return ch >= '\u2000' && ch <= '\u200a';
  }
}

class Lexer {
  private readonly text: string;
  private readonly file: string;
  private pos = 0;
  private line = 1;
  /** Lines consumed by continuations and heredocs that the line counter has not caught up with yet. */
  private skippedLines = 0;

  constructor(input: string, file: string) {
    // A leading byte-order mark is not content.
    this.text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    this.file = file;
  }

  all(): Token[] {
    const tokens: Token[] = [];
    for (let tok = this.next(); tok; tok = this.next()) tokens.push(tok);
    return tokens;
  }

  private fail(message: string): CaddyfileError {
    return new CaddyfileError(`${this.file}:${this.line} - Error during parsing: ${message}`, {
      file: this.file,
      line: this.line,
    });
  }

  /**
   * Reads one token, or undefined at the end of input. Plain runs of characters are copied with one slice each
   * (and a heredoc body with one search for its marker), so lexing stays linear in the input size.
   */
  private next(): Token | undefined {
    let val = '';
    let startLine = this.line;
    let comment = false;
    let quote: '' | '"' | '`' = '';
    let heredocEscaped = false;
    let escaped = false;
    // The token so far is exactly `<<` plus marker characters: it may open a heredoc at the end of the line.
    let heredocOpener = false;
    let marker = '';

    const make = (kind: QuoteKind): Token => {
      const tok: Token = { file: this.file, line: startLine, text: val, quote: kind };
      if (marker) tok.heredocMarker = marker;
      return tok;
    };

    for (;;) {
      if (this.pos >= this.text.length) {
        if (val.length > 0) return make('');
        return undefined;
      }
      const ch = this.text[this.pos++];

      if (heredocOpener && !quote && !heredocEscaped) {
        if (ch === ' ') return make('');
        if (ch === '\r') continue;
        if (ch === '\n') {
          if (val.length === 2) {
            throw this.fail(
              `missing opening heredoc marker on line #${this.line}; must contain only alphanumeric characters, dashes and underscores; got empty string`,
            );
          }
          if (val.startsWith('<<<')) {
            throw this.fail(`too many '<' for heredoc on line #${this.line}; only use two, for example <<END`);
          }
          marker = val.slice(2);
          if (!HEREDOC_MARKER.test(marker)) {
            throw this.fail(
              `heredoc marker on line #${this.line} must contain only alphanumeric characters, dashes and underscores; got '${marker}'`,
            );
          }
          this.skippedLines++;
          return this.heredoc(marker, make);
        }
        val += ch;
        continue;
      }

      if (!escaped && quote !== '`' && ch === '\\') {
        escaped = true;
        continue;
      }

      if (quote) {
        if (quote === '"' && escaped) {
          // Inside double quotes only a quote can be escaped; other backslashes stay.
          if (ch !== '"') val += '\\';
          escaped = false;
        } else if (ch === quote) {
          return make(quote);
        }
        if (ch === '\n') {
          this.line += 1 + this.skippedLines;
          this.skippedLines = 0;
        }
        val += ch;
        const end = this.quotedRunEnd(this.pos, quote);
        if (end > this.pos) {
          val += this.text.slice(this.pos, end);
          this.pos = end;
        }
        continue;
      }

      if (isSpace(ch)) {
        if (ch === '\r') continue;
        if (ch === '\n') {
          if (escaped) {
            // Line continuation: the next physical line belongs to this logical line.
            this.skippedLines++;
            escaped = false;
          } else {
            this.line += 1 + this.skippedLines;
            this.skippedLines = 0;
          }
          comment = false;
        }
        if (val.length > 0) return make('');
        continue;
      }

      if (ch === '#' && val.length === 0) comment = true;
      if (comment) continue;

      if (val.length === 0) {
        startLine = this.line;
        if (ch === '"' || ch === '`') {
          quote = ch;
          continue;
        }
      }

      if (escaped) {
        // `\<` keeps `<<` from opening a heredoc; any other backslash is literal outside quotes.
        if (ch === '<') heredocEscaped = true;
        else val += '\\';
        escaped = false;
      }
      if (val === '<' && ch === '<') {
        val = '<<';
        heredocOpener = true;
        continue;
      }
      val += ch;
      if (val === '<') continue; // the next character decides whether this may open a heredoc
      const end = this.plainRunEnd(this.pos);
      if (end > this.pos) {
        val += this.text.slice(this.pos, end);
        this.pos = end;
      }
    }
  }

  /** End of the run from `i` of characters an unquoted token takes as they are (no space, no backslash). */
  private plainRunEnd(i: number): number {
    const text = this.text;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '\\' || isSpace(ch)) break;
      i++;
    }
    return i;
  }

  /** End of the run from `i` of characters a quoted token takes as they are (no quote, backslash or newline). */
  private quotedRunEnd(i: number, quote: string): number {
    const text = this.text;
    while (i < text.length) {
      const ch = text[i];
      if (ch === quote || ch === '\\' || ch === '\n') break;
      i++;
    }
    return i;
  }

  /**
   * The heredoc body that starts at the cursor: everything up to the first occurrence of the marker (which, as in
   * Caddy, may end a heredoc even in the middle of a line).
   */
  private heredoc(marker: string, make: (kind: QuoteKind) => Token): Token | undefined {
    const start = this.pos;
    const found = this.text.indexOf(marker, start);
    const end = found < 0 ? this.text.length : found + marker.length;
    this.skippedLines += countNewlines(this.text, start, end);
    this.pos = end;
    if (found < 0) {
      if (end === start) return undefined;
      throw this.fail(
        `incomplete heredoc <<${marker} on line #${this.line + this.skippedLines}, expected ending marker ${marker}`,
      );
    }
    const body = this.finishHeredoc(this.text.slice(start, end), marker);
    this.line += this.skippedLines;
    this.skippedLines = 0;
    const tok = make('<<');
    tok.text = body;
    return tok;
  }

  /**
   * Strips the closing marker's indentation from every heredoc line (Caddy requires every non-empty line to start
   * with exactly that padding) and drops the newline before the marker line.
   */
  private finishHeredoc(raw: string, marker: string): string {
    const lastNewline = raw.lastIndexOf('\n');
    const padding = raw.slice(lastNewline + 1, raw.length - marker.length);
    const lines = raw.slice(0, lastNewline + 1).split('\n');
    lines.pop();
    let out = '';
    for (let i = 0; i < lines.length; i++) {
      const lineText = lines[i];
      if (lineText === '' || lineText === '\r') {
        out += '\n';
        continue;
      }
      if (!lineText.startsWith(padding)) {
        throw this.fail(
          `mismatched leading whitespace in heredoc <<${marker} on line #${this.line + i + 1} [${lineText.replace(/[\r\n]+$/, '')}], expected whitespace [${padding}] to match the closing marker`,
        );
      }
      out += `${lineText.slice(padding.length)}\n`.replaceAll('\r', '');
    }
    return out.endsWith('\n') ? out.slice(0, -1) : out;
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
