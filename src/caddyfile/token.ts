/**
 * A lexical token of a Caddyfile, with enough provenance to point users at the exact file and line.
 * Mirrors the information Caddy's lexer keeps per token (file, line, how it was quoted, import chain).
 */
export type QuoteKind = '' | '"' | '`' | '<<';

export interface Token {
  /** Path of the file the token was read from, as the user named it (e.g. "Caddyfile"). */
  file: string;
  /** 1-based line of the token's start (for multi-line quoted tokens: the line where it ends counts for "same line"). */
  line: number;
  text: string;
  /** How the token was written: unquoted, "double", `backtick` or <<HEREDOC. Quoted tokens are never structural. */
  quote: QuoteKind;
  /** Heredoc marker, for tokens written as heredocs (the formatter needs it). */
  heredocMarker?: string;
  /** "file:line (import name)" entries, outermost first, when the token came in through an import. */
  imports?: string[];
  /** Name of the snippet the token came from, when it came from one. */
  snippetName?: string;
}

/** True when the token was quoted in any way (such tokens never open or close blocks). */
export function isQuoted(t: Token): boolean {
  return t.quote !== '';
}

/** Number of line breaks inside a token (multi-line quoted tokens and heredocs). */
export function newlinesIn(t: Token): number {
  let n = 0;
  for (let i = 0; i < t.text.length; i++) if (t.text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Whether `next` starts a new line relative to `prev`: Caddy compares line numbers, accounting for the
 * newlines inside a multi-line quoted token (its "last line") and for tokens from different files/imports.
 */
export function isNextOnNewLine(prev: Token, next: Token): boolean {
  if (prev.file !== next.file) return true;
  if ((prev.imports?.length ?? 0) !== (next.imports?.length ?? 0)) return true;
  // Heredoc bodies are not counted: the lexer gives heredoc tokens the line of their closing marker.
  const prevEnd = prev.quote === '<<' ? prev.line : prev.line + newlinesIn(prev);
  return prevEnd < next.line;
}
