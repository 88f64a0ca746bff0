import type { Dispenser } from '../caddyfile/dispenser.ts';
import { isRegisteredDirective } from './registry.ts';

/**
 * The order in which handler directives run inside a site block (Caddy HEAD's directive order). Directives not in
 * the list cannot be used at the top of a site block unless `order` places them (or they sit inside `route`).
 */
export const DEFAULT_DIRECTIVE_ORDER: readonly string[] = [
  'tracing',
  'map',
  'vars',
  'fs',
  'root',
  'log_append',
  'skip_log',
  'log_skip',
  'log_name',
  'header',
  'copy_response_headers',
  'request_body',
  'timeouts',
  'redir',
  'method',
  'rewrite',
  'uri',
  'try_files',
  // caddy-ratelimit registers itself before basicauth (RegisterDirectiveOrder), so rate_limit needs no `order`.
  'rate_limit',
  'basicauth',
  'basic_auth',
  'forward_auth',
  'request_header',
  'encode',
  'push',
  'intercept',
  'templates',
  'invoke',
  'handle',
  'handle_path',
  'route',
  'abort',
  'error',
  'copy_response',
  'respond',
  'metrics',
  'reverse_proxy',
  'php_fastcgi',
  'file_server',
  'acme_server',
];

/**
 * Applies one `order <dir> first|last|before <other>|after <other>` option line to `order` and returns the new
 * order. The dispenser is before the option name.
 */
export function parseOrderOption(d: Dispenser, order: readonly string[]): string[] {
  d.next(); // option name
  if (!d.nextArg()) throw d.argErr();
  const dir = d.val();
  if (!isRegisteredDirective(dir)) throw d.err(`${dir} is not a registered directive`);
  if (!d.nextArg()) throw d.argErr();
  const pos = d.val();
  const next = order.filter((x) => x !== dir);
  if (pos === 'first' || pos === 'last') {
    if (d.nextArg()) throw d.argErr();
    return pos === 'first' ? [dir, ...next] : [...next, dir];
  }
  if (pos !== 'before' && pos !== 'after') throw d.err(`unknown positional '${pos}'`);
  if (!d.nextArg()) throw d.argErr();
  const other = d.val();
  if (d.nextArg()) throw d.argErr();
  let at = next.indexOf(other);
  if (at < 0) throw d.err(`directive '${other}' not found`);
  if (pos === 'after') at++;
  next.splice(at, 0, dir);
  return next;
}
