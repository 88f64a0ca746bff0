import { type CaddyfileError, parseError } from './errors.ts';
import { substituteEnv } from './env.ts';
import { ImportGraph } from './import-graph.ts';
import { hasGlobMeta, importPatternError } from './import-glob.ts';
import { replaceArgs, variadicRange } from './import-args.ts';
import { tokenize } from './lexer.ts';
import { TokenStream } from './token-stream.ts';
import { dirname, isAbsolute, join } from './paths.ts';
import type { ParseOptions, Segment, ServerBlock } from './serverblock.ts';
import { isNextOnNewLine, isQuoted, type Token } from './token.ts';
import { pushAll } from '../util/push-all.ts';

/**
 * Caddyfile text → server blocks (Caddy's caddyfile.Parse): env substitution, lexing, then one pass over the tokens
 * that collects site keys and directive segments, defines snippets and named routes, and splices `import`ed tokens
 * in place as it meets them.
 */
export function parseCaddyfile(text: string, opts: ParseOptions): ServerBlock[] {
  const tokens = tokenize(substituteEnv(text, opts.env), opts.filename);
  return new Parser(tokens, opts).parseAll();
}

/** Upper bound on import expansions, so a self-feeding import that slips past cycle detection still terminates. */
const MAX_IMPORTS = 10_000;
/**
 * Deepest block nesting accepted. The adapter, compiler and matchers recurse once or more per level and run out of
 * stack somewhere past 600 levels in Node and in workerd; real configs nest a handful of levels.
 */
export const MAX_NESTING = 256;

/** Upper bound on tokens after import expansion: snippets importing snippets multiply, the input size does not. */
const MAX_TOKENS = 1_000_000;

const isOpenBrace = (t: Token | undefined): boolean => !!t && t.text === '{' && !isQuoted(t);
const isCloseBrace = (t: Token | undefined): boolean => !!t && t.text === '}' && !isQuoted(t);

class Parser {
  private readonly tokens: TokenStream;
  private readonly opts: ParseOptions;
  private block: ServerBlock = newBlock();
  private eof = false;
  private nesting = 0;
  private readonly snippets = new Map<string, Token[]>();
  private readonly graph = new ImportGraph();
  private importCount = 0;

  constructor(tokens: Token[], opts: ParseOptions) {
    this.tokens = new TokenStream(tokens);
    this.opts = opts;
  }

  parseAll(): ServerBlock[] {
    const blocks: ServerBlock[] = [];
    while (this.next()) {
      this.block = newBlock();
      this.begin();
      if (this.block.keys.length > 0 || this.block.segments.length > 0) blocks.push(this.block);
      if (this.nesting > 0) throw this.err('unexpected EOF');
    }
    return blocks;
  }

  // --- cursor helpers (a private Dispenser: the parser splices tokens, so it owns its cursor) ---

  private get cursor(): number {
    return this.tokens.cursor;
  }

  private set cursor(to: number) {
    this.tokens.cursor = to;
  }

  private next(): boolean {
    if (this.cursor < this.tokens.length - 1) {
      this.cursor++;
      return true;
    }
    return false;
  }

  private tok(): Token {
    return this.tokens.at(Math.min(Math.max(this.cursor, 0), this.tokens.length - 1))!;
  }

  private val(): string {
    return this.cursor >= 0 && this.cursor < this.tokens.length ? this.tokens.at(this.cursor)!.text : '';
  }

  private isNewLine(): boolean {
    if (this.cursor < 1) return true;
    return isNextOnNewLine(this.tokens.at(this.cursor - 1)!, this.tokens.at(this.cursor)!);
  }

  private isNextOnNewLine(): boolean {
    if (this.cursor >= this.tokens.length - 1) return true;
    return isNextOnNewLine(this.tokens.at(this.cursor)!, this.tokens.at(this.cursor + 1)!);
  }

  private nextArg(): boolean {
    if (this.cursor >= this.tokens.length - 1 || this.isNextOnNewLine()) return false;
    this.cursor++;
    return true;
  }

  private err(message: string): CaddyfileError {
    return parseError(
      this.tokens.length ? this.tok() : { file: this.opts.filename, line: 0, text: '', quote: '' },
      message,
    );
  }

  private tooDeep(): CaddyfileError {
    return this.err(`blocks are nested more than ${MAX_NESTING} levels deep`);
  }

  private syntaxErr(expected: string): CaddyfileError {
    return this.err(`syntax error: unexpected token '${this.val()}', expecting '${expected}'`);
  }

  // --- blocks ---

  private begin(): void {
    if (this.tokens.length === 0) return;
    this.addresses();
    if (this.eof) return;

    const key = this.block.keys.length === 1 ? this.block.keys[0].text : '';
    if (key.startsWith('&(') && key.endsWith(')')) {
      // Named route: keep its braces so the adapter can parse it like a block directive.
      const nameToken = { ...this.block.keys[0], text: key.slice(2, -1) };
      this.block.keys = [nameToken];
      this.block.isNamedRoute = true;
      this.block.segments = [[nameToken, ...this.blockTokens(true)]];
      return;
    }
    if (key.startsWith('(') && key.endsWith(')')) {
      const name = key.slice(1, -1);
      if (this.snippets.has(name)) throw this.err(`redeclaration of previously declared snippet ${name}`);
      const body = this.blockTokens(false).map((t) => ({ ...t, snippetName: name }));
      this.snippets.set(name, body);
      this.block.keys = [];
      return;
    }
    this.blockContents();
  }

  /** Collects site keys up to the `{` (or the end of the line, for the single-site form). */
  private addresses(): void {
    let expectingAnother = false;
    for (;;) {
      let value = this.val();
      const token = this.tok();
      if (value.startsWith('@')) {
        throw this.err(`request matchers may not be defined globally, they must be in a site block; found ${value}`);
      }
      if (value === 'import' && this.isNewLine()) {
        this.doImport(0);
        if (this.cursor >= this.tokens.length) {
          this.eof = true;
          return;
        }
        continue;
      }
      // A stray `}` after a site block: Caddy takes it for a site address and refuses it as a certificate subject.
      if (isCloseBrace(token)) throw this.err("subject does not qualify for certificate: '}'");
      if (isOpenBrace(token)) {
        if (expectingAnother) throw this.err(`Expected another address but had '${value}' - check for extra comma`);
        this.block.hasBraces = true;
        return;
      }
      if (value.endsWith('{') && !isQuoted(token)) {
        throw this.err(
          `Site addresses cannot end with a curly brace: '${value}' - put a space between the token and the brace`,
        );
      }
      if (value !== '') {
        if (value.endsWith(',')) {
          value = value.slice(0, -1);
          expectingAnother = true;
        } else {
          expectingAnother = false;
        }
        if (value.includes(',')) {
          throw this.err(
            `Site addresses cannot contain a comma ',': '${value}' - put a space after the comma to separate site addresses`,
          );
        }
        if (value !== '') this.block.keys.push({ ...token, text: value });
      }
      const hasNext = this.next();
      if (expectingAnother && !hasNext) throw this.err('unexpected EOF');
      if (!hasNext) {
        this.eof = true;
        return;
      }
      if (!expectingAnother && this.isNewLine()) return;
    }
  }

  private blockContents(): void {
    const braced = isOpenBrace(this.tok());
    if (!braced) {
      if (this.looksLikeGlobalOptionsAfterSnippets()) {
        throw this.err(
          'global options block must appear before import directives; move the global options block to the top of the Caddyfile',
        );
      }
      this.cursor--; // no brace: the single-site form, whose directives start right here
    }
    this.directives();
    if (braced && !isCloseBrace(this.tok())) throw this.syntaxErr('}');
  }

  private looksLikeGlobalOptionsAfterSnippets(): boolean {
    if (this.val() !== 'import' || this.block.keys.length === 0) return false;
    return this.block.keys.every((k) => k.text.startsWith('(') && k.text.endsWith(')'));
  }

  private directives(): void {
    while (this.next()) {
      if (isCloseBrace(this.tok())) break;
      if (this.val() === 'import') {
        this.doImport(1);
        this.cursor--; // the loop's next() lands on the first imported token
        continue;
      }
      this.directive();
    }
  }

  /** One directive line and its block, with nested imports expanded. */
  private directive(): void {
    const segment: Segment = [this.tok()];
    while (this.next()) {
      const tok = this.tok();
      if (isOpenBrace(tok)) {
        if (++this.nesting > MAX_NESTING) throw this.tooDeep();
        if (!this.isNextOnNewLine()) throw this.err("Unexpected next token after '{' on same line");
        if (this.isNewLine()) {
          throw this.err("Unexpected '{' on a new line; did you mean to place the '{' on the previous line?");
        }
      } else if (tok.text === '{}' && !isQuoted(tok)) {
        if (this.isNextOnNewLine()) throw this.err("Unexpected '{}' at end of line");
      } else if (this.isNewLine() && this.nesting === 0) {
        this.cursor--; // read one too far: this token starts the next directive
        break;
      } else if (isCloseBrace(tok) && this.nesting > 0) {
        this.nesting--;
      } else if (isCloseBrace(tok) && this.nesting === 0) {
        throw this.err("Unexpected '}' because no matching opening brace");
      } else if (tok.text === 'import' && this.isNewLine()) {
        this.doImport(1);
        this.cursor--;
        continue;
      }
      segment.push(tok);
    }
    this.block.segments.push(segment);
    if (this.nesting > 0) throw this.err('unexpected EOF');
  }

  /** The tokens of a `{ … }` block (snippet or named route body), optionally with its braces. */
  private blockTokens(keepBraces: boolean): Token[] {
    if (!isOpenBrace(this.tok())) throw this.syntaxErr('{');
    let depth = 1;
    const out: Token[] = keepBraces ? [this.tok()] : [];
    while (this.next()) {
      const tok = this.tok();
      if (isCloseBrace(tok)) {
        depth--;
        if (depth === 0) {
          if (keepBraces) out.push(tok);
          break;
        }
      }
      if (isOpenBrace(tok) && ++depth > MAX_NESTING) throw this.tooDeep();
      out.push(tok);
    }
    if (depth !== 0) throw this.syntaxErr('}');
    return out;
  }

  // --- import ---

  /**
   * Replaces `import PATTERN [args…] [{ block }]` (the cursor is on `import`) with the snippet's or files' tokens,
   * leaving the cursor on the first imported token.
   */
  private doImport(nestingArg: number): void {
    if (++this.importCount > MAX_IMPORTS) throw this.err('too many imports; is there an import loop?');
    const importIndex = this.cursor;
    if (!this.nextArg()) throw this.err(`wrong argument count or unexpected line ending after '${this.val()}'`);
    const pattern = this.val();
    if (pattern === '') throw this.err('Import requires a non-empty filepath');
    const args: string[] = [];
    while (this.nextArg()) {
      if (isOpenBrace(this.tok())) {
        this.cursor--;
        break;
      }
      args.push(this.val());
    }
    const blockTokens = this.importBlock();
    const blockMapping = this.importBlockMapping(blockTokens);
    const importLine = this.tok();

    let imported: Token[];
    let nodes: string[];
    const snippet = this.snippets.get(pattern);
    if (snippet) {
      imported = snippet;
      nodes = snippet.length ? [`${snippet[0].file}:${snippet[0].snippetName}`] : [];
    } else {
      const files = this.importFiles(pattern);
      imported = files.flatMap((f) => this.readImportFile(f));
      nodes = files;
    }

    const from = importLine.snippetName ? `${importLine.file}:${importLine.snippetName}` : importLine.file;
    try {
      this.graph.addEdges(from, nodes);
    } catch (e) {
      throw this.err((e as Error).message);
    }

    const expanded = this.expandImported(imported, args, blockTokens, blockMapping, importLine, nestingArg);
    if (this.tokens.length - (this.cursor - importIndex + 1) + expanded.length > MAX_TOKENS) {
      throw this.err(`imports expand to more than ${MAX_TOKENS} tokens`);
    }
    this.tokens.replaceThroughCursor(importIndex, expanded);
  }

  /** Tokens inside an import's `{ … }` block (without the braces), cursor left on its `}`. */
  private importBlock(): Token[] {
    if (
      this.cursor >= this.tokens.length - 1 ||
      this.isNextOnNewLine() ||
      !isOpenBrace(this.tokens.at(this.cursor + 1)!)
    ) {
      return [];
    }
    this.cursor++;
    let depth = 1;
    const out: Token[] = [];
    while (this.next()) {
      const tok = this.tok();
      if (isCloseBrace(tok) && --depth === 0) return out;
      if (isOpenBrace(tok)) depth++;
      out.push(tok);
    }
    throw this.err('unexpected EOF');
  }

  /** `name { … }` / `name args…` entries of an import block, for `{blocks.name}`. */
  private importBlockMapping(blockTokens: Token[]): Map<string, Token[]> {
    const mapping = new Map<string, Token[]>();
    let i = 0;
    while (i < blockTokens.length) {
      const keyTok = blockTokens[i];
      if (isOpenBrace(keyTok)) throw parseError(keyTok, 'anonymous blocks are not supported');
      const value: Token[] = [];
      i++;
      while (i < blockTokens.length && !isNextOnNewLine(blockTokens[i - 1], blockTokens[i])) {
        if (isOpenBrace(blockTokens[i])) break;
        value.push(blockTokens[i++]);
      }
      if (
        i < blockTokens.length &&
        isOpenBrace(blockTokens[i]) &&
        !isNextOnNewLine(blockTokens[i - 1], blockTokens[i])
      ) {
        let depth = 1;
        i++;
        while (i < blockTokens.length) {
          const t = blockTokens[i++];
          if (isCloseBrace(t) && --depth === 0) break;
          if (isOpenBrace(t)) depth++;
          value.push(t);
        }
      }
      mapping.set(keyTok.text, value);
    }
    return mapping;
  }

  /** Files an import pattern names, resolved against the importing file's directory. */
  private importFiles(pattern: string): string[] {
    const files = this.opts.files;
    const base = dirname(this.tok().file);
    const globPattern = isAbsolute(pattern) ? pattern : join(base, pattern);
    const count = (ch: string) => globPattern.split(ch).length - 1;
    if (count('*') > 1 || count('?') > 1 || (globPattern.includes('[') && globPattern.includes(']'))) {
      throw this.err(`Glob pattern may only contain one wildcard (*), but has others: ${globPattern}`);
    }
    const badPattern = importPatternError(globPattern);
    if (badPattern) throw this.err(`Failed to use import pattern ${pattern}: ${badPattern}`);
    let matches: string[] = [];
    if (files && hasGlobMeta(globPattern)) matches = files.glob(globPattern);
    else if (files && (files.read(globPattern) !== undefined || files.isDirectory(globPattern)))
      matches = [globPattern];
    if (matches.length === 0) {
      if (/[*?[\]]/.test(globPattern)) return []; // Caddy only warns when a glob matches nothing
      throw this.err(`File to import not found: ${pattern}`);
    }
    // `*` at the start of the last path element skips dotfiles, like a shell would.
    const last = globPattern.slice(globPattern.lastIndexOf('/') + 1);
    if (last.startsWith('*')) matches = matches.filter((m) => !m.slice(m.lastIndexOf('/') + 1).startsWith('.'));
    return matches;
  }

  private readImportFile(path: string): Token[] {
    const files = this.opts.files!;
    if (files.isDirectory(path)) throw this.err(`Could not import ${path}: is a directory`);
    const text = files.read(path);
    if (text === undefined) throw this.err(`Could not import ${path}: no such file`);
    if (text.trim() === '') return [];
    try {
      return tokenize(substituteEnv(text, this.opts.env), path);
    } catch (e) {
      throw this.err(`Could not read tokens while importing ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Applies import args and `{block}`/`{blocks.name}` to imported tokens and records the import chain on each.
   * Snippet definitions inside an imported file are copied untouched: their args belong to their own imports.
   */
  private expandImported(
    imported: Token[],
    args: string[],
    blockTokens: Token[],
    blockMapping: Map<string, Token[]>,
    importLine: Token,
    nestingArg: number,
  ): Token[] {
    const out: Token[] = [];
    let nesting = nestingArg;
    let inSnippetDef = false;
    let maybeSnippetId = false;
    let index = 0;
    const where = `${importLine.file}:${importLine.line}`;
    const chainEntries = new Map<string | undefined, string>();
    for (let i = 0; i < imported.length; i++) {
      const token: Token = { ...imported[i] };
      let entry = chainEntries.get(token.snippetName);
      if (entry === undefined) {
        entry = token.snippetName ? `${where} (import ${token.snippetName})` : `${where} (import)`;
        chainEntries.set(token.snippetName, entry);
      }
      token.imports = token.imports ? [...token.imports, entry] : [entry];

      if (!inSnippetDef && nesting === 0) {
        index = i === 0 || isNextOnNewLine(out[out.length - 1] ?? token, token) ? 0 : index + 1;
        if (index === 0 && token.text.length >= 3 && token.text.startsWith('(') && token.text.endsWith(')')) {
          maybeSnippetId = true;
        }
      }
      if (isOpenBrace(token)) {
        nesting++;
        if (index === 1 && maybeSnippetId && nesting === 1) {
          inSnippetDef = true;
          maybeSnippetId = false;
        }
      } else if (isCloseBrace(token)) {
        nesting--;
        if (nesting === 0 && inSnippetDef) inSnippetDef = false;
      }

      if (token.text === '{block}' || (token.text.startsWith('{blocks.') && token.text.endsWith('}'))) {
        if (inSnippetDef) out.push(token);
        else if (token.text === '{block}') pushAll(out, blockTokens);
        else pushAll(out, blockMapping.get(token.text.slice(8, -1)) ?? []);
        continue;
      }
      if (inSnippetDef) {
        out.push(token);
        continue;
      }
      const range = variadicRange(token, args.length);
      if (range) {
        for (const arg of args.slice(range[0], range[1])) out.push({ ...token, text: arg });
      } else {
        token.text = replaceArgs(token.text, args);
        out.push(token);
      }
    }
    return out;
  }
}

function newBlock(): ServerBlock {
  return { keys: [], segments: [], hasBraces: false, isNamedRoute: false };
}
