import type { Warning } from '../adapt/helper.ts';

// Caddy logs through zap as one JSON object a line on stderr; `caddy adapt` prints adapter warnings that way, so
// scripts that grep Caddy's stderr keep working with Gatehouse.

export function logLine(
  level: 'info' | 'warn',
  logger: string | undefined,
  msg: string,
  fields: Record<string, unknown> = {},
): string {
  const entry: Record<string, unknown> = { level, ts: Date.now() / 1000 };
  if (logger) entry.logger = logger;
  entry.msg = msg;
  return `${JSON.stringify({ ...entry, ...fields })}\n`;
}

/** An adapter warning as Caddy prints it: `directive: message`, with the file and line as fields. */
export function warningLine(w: Warning, logger = 'caddyfile'): string {
  // The adapter words its hints as Caddy does; here the formatter to run is ours.
  const message = w.message.replace("'caddy fmt --overwrite'", "'gatehouse fmt --overwrite'");
  const msg = w.directive ? `${w.directive}: ${message}` : message;
  return logLine('warn', logger, msg, { file: w.file ?? '', line: w.line ?? 0 });
}

/** Directives and options the edge accepts but does nothing with (e.g. `tls`: Cloudflare terminates TLS). */
export function ignoredLine(ignored: string[]): string {
  return logLine('info', 'caddyfile', 'accepted but not needed at the edge; ignored', { directives: ignored });
}
