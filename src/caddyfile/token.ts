/**
 * A lexical token of a Caddyfile, with enough provenance to point users at the exact file and line.
 * Mirrors the information Caddy's lexer keeps per token (file, line, how it was quoted, import chain).
 */
export type QuoteKind = '' | '"' | '`' | '<<';

export interface Token {
  /** Path of the file the token was read from, as the user named it (e.g. "Caddyfile"). */
  file: string;
  /** 1-based line where the token starts; multi-line tokens end `lineBreaksIn` lines later. */
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
 * Line breaks a token spans (Caddy's NumLineBreaks): a heredoc also spans its opener line and its marker line, which
 * are not part of its text.
 */
export function lineBreaksIn(t: Token): number {
  return newlinesIn(t) + (t.quote === '<<' ? 2 : 0);
}

/**
 * Whether `next` starts a new line relative to `prev`: a token from another file or import chain always does;
 * otherwise compare where `prev` ends (multi-line quoted tokens end lines later) with where `next` starts.
 */
export function isNextOnNewLine(prev: Token, next: Token): boolean {
  if (prev.file !== next.file) return true;
  const a = prev.imports ?? [];
  const b = next.imports ?? [];
  if (a.length !== b.length) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return prev.line + lineBreaksIn(prev) < next.line;
}
