import { parseError, type CaddyfileError } from './errors.ts';
import { isNextOnNewLine, isQuoted, type Token } from './token.ts';

/**
 * Walks the tokens of one directive (or block) the way Caddy's caddyfile.Dispenser does, so directive parsers can be
 * written the same way: `while (d.next()) { args = d.remainingArgs(); for (const nesting = d.nesting(); d.nextBlock(nesting);) … }`.
 */
export class Dispenser {
  readonly tokens: Token[];
  private cursor = -1;
  private nestingLevel = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  /** Loads the next token; false at the end. Tracks nesting when crossing braces. */
  next(): boolean {
    if (this.cursor < this.tokens.length - 1) {
      this.cursor++;
      return true;
    }
    return false;
  }

  /** Moves back one token; false at the start. */
  prev(): boolean {
    if (this.cursor > -1) {
      this.cursor--;
      return true;
    }
    return false;
  }

  /** Loads the next token only if it is on the same line and not an unquoted `{` (Caddy's NextArg). */
  nextArg(): boolean {
    if (!this.nextOnSameLine()) return false;
    this.cursor++;
    const tok = this.tokens[this.cursor];
    if (tok.text === '{' && !isQuoted(tok)) {
      this.cursor--; // a block opening is not an argument
      return false;
    }
    return true;
  }

  /** Loads the next token only if it is on a new line (Caddy's NextLine). */
  nextLine(): boolean {
    if (this.cursor < 0) {
      this.cursor++;
      return true;
    }
    if (this.cursor >= this.tokens.length - 1) return false;
    if (!isNextOnNewLine(this.tokens[this.cursor], this.tokens[this.cursor + 1])) return false;
    this.cursor++;
    return true;
  }

  /**
   * Iterates the lines of a block opened on the current line (Caddy's NextBlock). Pass the nesting level captured
   * before the loop: `for (const n = d.nesting(); d.nextBlock(n);)`. Returns false when the block closes.
   */
  nextBlock(initialNesting: number): boolean {
    if (this.nestingLevel > initialNesting) {
      if (!this.next()) return false; // unbalanced braces; the parser already reported it
      const tok = this.token();
      if (tok.text === '}' && !isQuoted(tok)) {
        this.nestingLevel--;
      } else if (tok.text === '{' && !isQuoted(tok)) {
        this.nestingLevel++;
      }
      return this.nestingLevel > initialNesting;
    }
    if (!this.nextOnSameLine()) return false; // a block must open on the same line
    if (!this.next()) return false;
    const open = this.token();
    if (open.text !== '{' || isQuoted(open)) {
      this.cursor--;
      return false;
    }
    this.next(); // consume the '{'
    const first = this.token();
    if (first.text === '}' && !isQuoted(first)) return false; // empty block
    this.nestingLevel++;
    return true;
  }

  /** Current brace depth relative to where this dispenser started. */
  nesting(): number {
    return this.nestingLevel;
  }

  /** Text of the current token ("" before the first next()). */
  val(): string {
    return this.cursor < 0 || this.cursor >= this.tokens.length ? '' : this.tokens[this.cursor].text;
  }

  /** The current token. Before the first next() this is the first token (for error positions). */
  token(): Token {
    const i = Math.min(Math.max(this.cursor, 0), this.tokens.length - 1);
    return this.tokens[i];
  }

  line(): number {
    return this.tokens.length ? this.token().line : 0;
  }

  file(): string {
    return this.tokens.length ? this.token().file : 'Caddyfile';
  }

  /** The current token was quoted (so it is text, never a brace or a matcher token). */
  quoted(): boolean {
    return this.tokens.length > 0 && this.cursor >= 0 && isQuoted(this.token());
  }

  /** Whether the current token is the first one on its line. */
  isNewLine(): boolean {
    if (this.cursor < 1) return true;
    if (this.cursor >= this.tokens.length) return false;
    return isNextOnNewLine(this.tokens[this.cursor - 1], this.tokens[this.cursor]);
  }

  /** Loads the remaining arguments on this line, stopping before an unquoted '{' (Caddy's RemainingArgs). */
  remainingArgs(): string[] {
    return this.remainingArgTokens().map((t) => t.text);
  }

  /** Like remainingArgs, but keeps the tokens (quoting matters for some directives). */
  remainingArgTokens(): Token[] {
    const out: Token[] = [];
    while (this.nextArg()) {
      const tok = this.token();
      if (tok.text === '{' && !isQuoted(tok)) {
        this.cursor--;
        break;
      }
      out.push(tok);
    }
    return out;
  }

  /** Counts the arguments left on this line without consuming them. */
  countRemainingArgs(): number {
    const saved = this.cursor;
    const n = this.remainingArgTokens().length;
    this.cursor = saved;
    return n;
  }

  /** Loads the next argument into `out[0]`-style usage: returns the arg or undefined if none (Caddy's Args). */
  nextArgValue(): string | undefined {
    return this.nextArg() ? this.val() : undefined;
  }

  /**
   * The current token, the rest of its line and, when the line ends with an unquoted '{', everything up to the
   * matching '}' (Caddy's NextSegment). Leaves the cursor on the segment's last token.
   */
  nextSegment(): Token[] {
    if (this.cursor < 0) this.cursor = 0;
    if (this.cursor >= this.tokens.length) return [];
    const seg: Token[] = [this.token()];
    while (this.nextOnSameLine()) {
      this.cursor++;
      seg.push(this.token());
    }
    const last = this.token();
    if (last.text !== '{' || isQuoted(last)) return seg;
    let depth = 1;
    while (depth > 0 && this.cursor < this.tokens.length - 1) {
      this.cursor++;
      const tok = this.token();
      seg.push(tok);
      if (isQuoted(tok)) continue;
      if (tok.text === '{') depth++;
      else if (tok.text === '}') depth--;
    }
    return seg;
  }

  /** A new dispenser over the rest of the current segment (Caddy's NewFromNextSegment). */
  newFromNextSegment(): Dispenser {
    return new Dispenser(this.nextSegment());
  }

  /** Rewinds to before the first token. */
  reset(): void {
    this.cursor = -1;
    this.nestingLevel = 0;
  }

  /** Removes the current token and moves back (Caddy's Delete), used when a parser consumes a matcher token. */
  deleteCurrent(): void {
    if (this.cursor >= 0 && this.cursor < this.tokens.length) {
      this.tokens.splice(this.cursor, 1);
      this.cursor--;
    }
  }

  // --- errors, in Caddy's words ---

  /** "wrong argument count or unexpected line ending after 'X'". */
  argErr(): CaddyfileError {
    if (this.val() === '{') return this.err("unexpected token '{', expecting argument");
    return this.err(`wrong argument count or unexpected line ending after '${this.val()}'`);
  }

  /** "syntax error: unexpected token 'X', expecting 'Y'". */
  syntaxErr(expected: string): CaddyfileError {
    return this.err(`syntax error: unexpected token '${this.val()}', expecting '${expected}'`);
  }

  eofErr(): CaddyfileError {
    return this.err('unexpected EOF');
  }

  /** An error at the current token's file and line. */
  err(message: string): CaddyfileError {
    return parseError(this.tokens.length ? this.token() : undefined, message);
  }

  private nextOnSameLine(): boolean {
    if (this.cursor < 0) return true;
    if (this.cursor >= this.tokens.length - 1) return false;
    return !isNextOnNewLine(this.tokens[this.cursor], this.tokens[this.cursor + 1]);
  }
}
