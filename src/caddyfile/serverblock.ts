import type { Token } from './token.ts';

/** One directive line (and its block, if any): the first token is the directive name. */
export type Segment = Token[];

/**
 * A top-level block of a Caddyfile after imports and snippets are expanded: its keys (site addresses, or nothing for
 * the global options block) and its directive segments (Caddy's caddyfile.ServerBlock).
 */
export interface ServerBlock {
  keys: Token[];
  segments: Segment[];
  /** False for the single-site form without braces. */
  hasBraces: boolean;
  /** `&(name) { … }` named route definitions. */
  isNamedRoute: boolean;
}

/** File access for `import`; the CLI reads the disk, the Worker has only the files it was given. */
export interface FileSource {
  /** File contents, or undefined when there is no such file. */
  read(path: string): string | undefined;
  /** Paths matching a glob pattern with at most one `*` and one `?` (Caddy's rule), sorted. */
  glob(pattern: string): string[];
  isDirectory(path: string): boolean;
}

export interface ParseOptions {
  /** Name used in errors and for resolving relative imports, e.g. "Caddyfile" or "/etc/caddy/Caddyfile". */
  filename: string;
  /** Values for `{$VAR}` substitution (process env in the CLI, Worker env at the edge). */
  env?: Record<string, string | undefined>;
  /** Where `import <file>` reads from; without it, file imports are an error naming the file. */
  files?: FileSource;
}
