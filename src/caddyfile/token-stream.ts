import type { Token } from './token.ts';

/**
 * The parser's token sequence, with `import` splicing tokens in at its cursor. Tokens up to the cursor are kept in
 * order and the rest in reverse, so splicing in at the cursor costs the size of the import, not of everything after
 * it: a file of many imports followed by a long tail adapts in linear time.
 */
export class TokenStream {
  /** Tokens 0..cursor, in order. */
  private readonly before: Token[] = [];
  /** Tokens after the cursor, the next one last. */
  private readonly after: Token[];
  private position = -1;

  constructor(tokens: Token[]) {
    this.after = tokens.slice().reverse();
  }

  get length(): number {
    return this.before.length + this.after.length;
  }

  /** The cursor: -1 before the first token, `length` and beyond past the last. */
  get cursor(): number {
    return this.position;
  }

  set cursor(to: number) {
    this.position = to;
    const want = Math.max(0, Math.min(to + 1, this.length));
    while (this.before.length < want) this.before.push(this.after.pop()!);
    while (this.before.length > want) this.after.push(this.before.pop()!);
  }

  at(i: number): Token | undefined {
    if (i < 0) return undefined;
    if (i < this.before.length) return this.before[i];
    return this.after[this.after.length - 1 - (i - this.before.length)];
  }

  /** Replaces the tokens from `from` up to and including the cursor with `items`; the cursor lands on `from`. */
  replaceThroughCursor(from: number, items: Token[]): void {
    this.before.length = Math.min(from, this.before.length);
    for (let i = items.length - 1; i >= 0; i--) this.after.push(items[i]);
    this.cursor = from;
  }
}
