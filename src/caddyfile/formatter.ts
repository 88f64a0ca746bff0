/**
 * `caddy fmt` for Gatehouse: re-indents a Caddyfile with tabs, one `{` at the end of its line, `}` on its own line,
 * at most one blank line in a row and a blank line between top-level blocks. Like Caddy's formatter it works on
 * characters, not tokens, so comments, quoting and heredoc bodies come out exactly as written.
 */
export function formatCaddyfile(input: string): string {
  return new Formatter().format(input);
}

const HEREDOC_MARKER = /^[A-Za-z0-9_-]+$/;
const SPACE = /\s/;
/** JavaScript's \s without the byte-order mark; printable ASCII, the bulk of any input, is decided without the regex. */
const isSpace = (ch: string): boolean => {
  const c = ch.charCodeAt(0);
  if (c > 0x20 && c < 0x7f) return false;
  return SPACE.test(ch) && ch !== '\ufeff';
};
/** Caddy caps indentation so a runaway brace count cannot blow up the output. */
const MAX_INDENT = 10;
const IMPORT = 'import';
/** Characters with a meaning of their own to the formatter, which end a plainly copied run. */
const PLAIN_STOP = '\\`"{}#<';

type HeredocState = 'closed' | 'opening' | 'opened';

class Formatter {
  /** Output so far: finished chunks, and the chunk being written (kept short so that big inputs stay cheap). */
  private out: string[] = [];
  private chunk = '';
  private last = '';
  private space = true;
  private beginningOfLine = true;
  private openBrace = false;
  private openBraceWritten = false;
  private openBraceSpace = false;
  private openBraceOwnLine = false;
  private newLines = 0;
  private comment = false;
  /** Open quote kinds, innermost last: '', '"', '`', or a backtick inside double quotes ('"`') and vice versa. */
  private quotes = '';
  private escaped = false;
  private heredoc: HeredocState = 'closed';
  private heredocEscaped = false;
  private heredocMarker = '';
  private closingWindow = '';
  private nesting = 0;
  private token = '';
  private lineFirstToken = '';
  private previousLineWasTopLevelImport = false;
  /** The last character was written as part of an unquoted token, so more of the same would be written as is. */
  private inPlainToken = false;

  format(input: string): string {
    let i = 0;
    while (i < input.length) {
      const ch = String.fromCodePoint(input.codePointAt(i)!);
      i += ch.length;
      this.consume(ch);
      // Characters that would only be copied one by one are copied as one run (linear time, little garbage).
      const end = this.copyableRunEnd(input, i);
      if (end > i) {
        this.copyRun(input.slice(i, end));
        i = end;
      }
    }
    this.out.push(this.chunk);
    return `${this.out.join('').trim()}\n`;
  }

  private write(ch: string): void {
    this.chunk += ch;
    if (this.chunk.length >= 4096) {
      this.out.push(this.chunk);
      this.chunk = '';
    }
    this.last = ch;
  }

  /**
   * End of the run from `i` that consume() would write out unchanged one character at a time: more of a plain token,
   * of a double-quoted string, or of a heredoc line.
   */
  private copyableRunEnd(input: string, i: number): number {
    let stop: (ch: string) => boolean;
    if (this.heredoc === 'opened') stop = isSpace;
    else if (this.heredoc !== 'closed' || this.escaped || this.comment) return i;
    else if (this.quotes === '"') stop = (ch) => ch === '"' || ch === '`' || ch === '\\';
    else if (this.inPlainToken) stop = (ch) => isSpace(ch) || PLAIN_STOP.includes(ch);
    else return i;
    while (i < input.length && !stop(input[i])) i++;
    return i;
  }

  private copyRun(run: string): void {
    if (this.heredoc === 'opened') {
      this.closingWindow = (this.closingWindow + run).slice(-(this.heredocMarker.length + 1));
    } else if (this.inPlainToken && this.token.length <= IMPORT.length) {
      this.token += run.slice(0, IMPORT.length + 1);
    }
    this.out.push(this.chunk, run);
    this.chunk = '';
    this.last = run[run.length - 1];
  }

  private indent(): void {
    for (let i = 0; i < this.nesting; i++) this.write('\t');
  }

  private newline(): void {
    this.write('\n');
    this.beginningOfLine = true;
  }

  private finishToken(): void {
    if (this.token === '') return;
    if (this.lineFirstToken === '') this.lineFirstToken = this.token;
    this.token = '';
  }

  /** Remembers whether the line was a top-level `import`, whose block brace may legitimately sit on the next line. */
  private finishLine(): void {
    this.finishToken();
    if (this.lineFirstToken !== '') {
      this.previousLineWasTopLevelImport = this.nesting === 0 && this.lineFirstToken === 'import';
    } else if (!this.openBrace || !this.openBraceOwnLine || this.openBraceWritten) {
      this.previousLineWasTopLevelImport = false;
    }
    this.lineFirstToken = '';
  }

  /** Heredoc bodies are copied verbatim; returns true when the character was consumed that way. */
  private heredocChar(ch: string): boolean {
    if (
      this.quotes === '' &&
      this.heredoc === 'closed' &&
      !this.heredocEscaped &&
      this.space &&
      this.last === '<' &&
      ch === '<'
    ) {
      this.write(ch);
      this.heredoc = 'opening';
      this.space = false;
      return true;
    }
    if (this.heredoc === 'opening') {
      if (ch === '\n') {
        if (this.heredocMarker !== '' && HEREDOC_MARKER.test(this.heredocMarker)) {
          this.heredoc = 'opened';
          this.write(ch);
        } else {
          this.heredocMarker = '';
          this.heredoc = 'closed';
          this.newline();
        }
        return true;
      }
      if (!isSpace(ch)) {
        this.heredocMarker += ch;
        this.write(ch);
        return true;
      }
      this.heredocMarker = '';
      this.heredoc = 'closed';
      return false;
    }
    if (this.heredoc === 'opened') {
      // Watch the last marker-length+1 characters: the marker followed by whitespace closes the heredoc.
      this.closingWindow += ch;
      if (this.closingWindow.length > this.heredocMarker.length + 1) this.closingWindow = this.closingWindow.slice(1);
      if (isSpace(ch) && this.closingWindow.slice(0, -1) === this.heredocMarker) {
        this.heredocMarker = '';
        this.closingWindow = '';
        this.heredoc = 'closed';
        return false;
      }
      this.write(ch);
      if (ch === '\n') this.closingWindow = '';
      return true;
    }
    return false;
  }

  private consume(ch: string): void {
    this.inPlainToken = false;
    if (this.heredocChar(ch)) return;
    if (this.last === '<' && this.space) this.space = false;

    if (this.comment) {
      if (ch === '\n') {
        this.comment = false;
        this.space = true;
        this.newline();
      } else {
        this.write(ch);
      }
      return;
    }

    if (!this.escaped && ch === '\\') {
      if (this.space) {
        this.write(' ');
        this.space = false;
      }
      this.write(ch);
      this.escaped = true;
      return;
    }
    if (this.escaped) {
      if (ch === '<') this.heredocEscaped = true;
      this.write(ch);
      this.escaped = false;
      return;
    }

    if (ch === '`') {
      this.quotes = this.quotes === '"`' ? '"' : this.quotes === '`' ? '' : this.quotes === '"' ? '"`' : '`';
    }
    if (this.quotes === '"') {
      if (ch === '"') this.quotes = '';
      this.write(ch);
      return;
    }
    if (ch === '"') {
      if (this.quotes === '' && this.space) this.quotes = '"';
      else if (this.quotes === '`"') this.quotes = '`';
      else if (this.quotes === '"`') this.quotes = '';
    }
    if (this.quotes.includes('`')) {
      if (ch === '`' && this.space && !this.beginningOfLine) this.write(' ');
      this.write(ch);
      this.space = false;
      return;
    }

    if (isSpace(ch)) {
      this.finishToken();
      this.space = true;
      this.heredocEscaped = false;
      if (ch === '\n') {
        this.finishLine();
        this.newLines++;
      }
      return;
    }
    const spacePrior = this.space;
    this.space = false;
    if (ch === '#') this.comment = true;

    if (this.openBrace && spacePrior && !this.openBraceWritten) this.writePendingBrace();

    if (ch === '{') {
      this.finishToken();
      this.openBrace = true;
      this.openBraceSpace = spacePrior && !this.beginningOfLine;
      this.openBraceOwnLine = this.newLines > 0;
      if (this.openBraceSpace && this.newLines === 0) this.write(' ');
      this.openBraceWritten = false;
      if (this.quotes === '`') {
        this.write('{');
        this.openBraceWritten = true;
        this.openBraceOwnLine = false;
      }
      return;
    }
    if (ch === '}' && (spacePrior || !this.openBrace)) {
      this.finishToken();
      if (this.quotes === '`') {
        this.write('}');
        return;
      }
      if (this.last !== '\n') this.newline();
      if (this.nesting > 0) this.nesting--;
      this.indent();
      this.write('}');
      this.newLines = 0;
      return;
    }

    for (let i = 0; i < Math.min(this.newLines, 2); i++) this.newline();
    this.newLines = 0;
    if (this.beginningOfLine) this.indent();
    if (this.nesting === 0 && this.last === '}' && this.beginningOfLine) {
      this.newline();
      this.newline();
    }
    if (!this.beginningOfLine && spacePrior) this.write(' ');
    if (this.openBrace && !this.openBraceWritten) {
      this.write('{');
      this.openBraceWritten = true;
    }
    if (spacePrior && ch === '<') this.space = true;
    // Only the line's first token is ever compared (with `import`): a long token need not be kept whole.
    if (this.token.length <= IMPORT.length) this.token += ch;
    this.write(ch);
    this.beginningOfLine = false;
    this.inPlainToken = this.quotes === '' && !this.openBrace && !this.space;
  }

  /** A `{` seen earlier is written once we know it ends its token: moved to the end of the opening line. */
  private writePendingBrace(): void {
    if (this.nesting === 0 && this.last === '}') {
      this.newline();
      this.newline();
    }
    this.openBrace = false;
    if (this.openBraceOwnLine && this.previousLineWasTopLevelImport) {
      if (this.last !== '\n') this.newline();
      this.indent();
    } else if (this.beginningOfLine) {
      this.indent();
    } else if (!this.openBraceSpace || !isSpace(this.last)) {
      this.write(' ');
    }
    this.write('{');
    this.openBraceWritten = true;
    this.openBraceOwnLine = false;
    this.newline();
    this.newLines = 0;
    if (this.nesting < MAX_INDENT) this.nesting++;
  }
}
