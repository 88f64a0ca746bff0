import type { Token } from './token.ts';

/**
 * An error in user input (a Caddyfile or a JSON config). Its message is complete and user-facing, in Caddy's form:
 * `Caddyfile:12 - Error during parsing: <what>`; the CLI and admin API print it as-is, never with a stack trace.
 */
export class CaddyfileError extends Error {
  readonly file?: string;
  readonly line?: number;
  /** Set when the input is valid Caddy but uses something Gatehouse does not implement. */
  readonly unsupported?: string;
  constructor(message: string, opts: { file?: string; line?: number; unsupported?: string } = {}) {
    super(message);
    this.name = 'CaddyfileError';
    this.file = opts.file;
    this.line = opts.line;
    this.unsupported = opts.unsupported;
  }
}

/** Formats the import chain Caddy appends to errors for tokens that came through `import`. */
function importChain(tok: Token | undefined): string {
  if (!tok?.imports?.length) return '';
  return ` import chain [${tok.imports.map((i) => `'${i}'`).join(',')}]`;
}

/** Wraps a message as a parse error located at `tok` (Caddy's `Dispenser.Errf`). */
export function parseError(tok: Token | undefined, message: string, unsupported?: string): CaddyfileError {
  const file = tok?.file ?? 'Caddyfile';
  const line = tok?.line ?? 0;
  return new CaddyfileError(`${file}:${line} - Error during parsing: ${message}${importChain(tok)}`, {
    file,
    line,
    unsupported,
  });
}

/**
 * Error for a directive (or subdirective, option, module) that Caddy accepts but Gatehouse does not implement.
 * `why` says why and what to do instead, so the user is never left with only a refusal.
 */
export function unsupportedError(tok: Token | undefined, what: string, why: string): CaddyfileError {
  return parseError(tok, `valid in Caddy but not supported by Gatehouse: ${what} (${why})`, what);
}

/**
 * An adapter error about a whole block or key rather than a token being parsed: Caddy's message, located as
 * `file:line: message` at `tok` so that every error names where to look.
 */
export function locatedError(tok: Token | undefined, message: string, unsupported?: string): CaddyfileError {
  const file = tok?.file ?? 'Caddyfile';
  const line = tok?.line ?? 0;
  return new CaddyfileError(`${file}:${line}: ${message}${importChain(tok)}`, { file, line, unsupported });
}

/**
 * Context added to an error from a nested parser: keeps the location the cause names, or locates the message at
 * `tok` when the cause has none (an unexpected exception still ends up pointing at the directive being read).
 */
export function withLocation(
  cause: unknown,
  tok: Token | undefined,
  message: string,
  unsupported?: string,
): CaddyfileError {
  if (cause instanceof CaddyfileError && cause.file !== undefined && cause.line !== undefined) {
    return new CaddyfileError(message, { file: cause.file, line: cause.line, unsupported });
  }
  return locatedError(tok, message, unsupported);
}
