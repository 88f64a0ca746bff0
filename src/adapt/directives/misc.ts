import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective, registerUnsupportedDirective } from '../registry.ts';
import { parseDurationNs } from '../../util/duration.ts';
import { parseBytes } from './size.ts';
import { atoi, nextArg } from './util.ts';

/**
 * Small directives: log helpers, metrics, templates, and the Caddy directives that
 * cannot work at the edge (registered as unsupported so users get a clear reason instead of "unrecognized").
 */

/** `log_skip [<matcher>]` (and the deprecated `skip_log`): marks the request as not to be access-logged. */
export function parseLogSkip(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (h.val() === 'skip_log') h.warn("the 'skip_log' directive is deprecated, please use 'log_skip' instead!");
  if (nextArg(h)) throw h.argErr();
  if (h.nextBlock(h.nesting())) throw h.err('log_skip directive does not accept blocks');
  return { handler: 'vars', log_skip: true };
}

/** `log_append [<matcher>] [<]<key> <value>`: adds a field to the access log entry (`<` = before the handlers run). */
export function parseLogAppend(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (!nextArg(h)) throw h.argErr();
  let key = h.val();
  if (!nextArg(h)) throw h.argErr();
  const out: HandlerJSON = { handler: 'log_append' };
  let early = false;
  if (key.startsWith('<') && key.length > 1) {
    early = true;
    key = key.slice(1);
  }
  if (key) out.key = key;
  if (h.val()) out.value = h.val();
  if (early) out.early = true;
  return out;
}

/** `log_name [<matcher>] <names...>`: which access loggers get this request's entry. */
export function parseLogName(h: Helper): HandlerJSON {
  h.next(); // directive name
  const names = h.remainingArgs();
  // Go marshals the empty (nil) list as null
  return { handler: 'vars', access_logger_names: names.length ? names : null };
}

/** Go's time.ParseDuration (Caddy's `d` unit is not accepted here), in nanoseconds. */
function goDuration(h: Helper, what: string, s: string): number {
  const ns = /[0-9.]d/.test(s) ? undefined : parseDurationNs(s);
  if (ns === undefined) throw h.err(`parsing ${what}: time: invalid duration ${JSON.stringify(s)}`);
  return ns;
}

/** `timeouts [<matcher>] { read_timeout <d> [<min_rate>]; write_timeout <d> [<min_rate>]; max_write_chunk <size> }`. */
export function parseTimeouts(h: Helper): HandlerJSON {
  h.next(); // directive name
  const out: HandlerJSON = { handler: 'timeouts' };
  for (const n = h.nesting(); h.nextBlock(n); ) {
    const sub = h.val();
    switch (sub) {
      case 'read_timeout':
      case 'write_timeout': {
        const args = h.remainingArgs();
        if (args.length < 1 || args.length > 2) throw h.argErr();
        const ns = goDuration(h, sub, args[0]);
        if (ns) out[sub] = ns;
        if (args.length === 2) {
          const rate = atoi(args[1]);
          if (rate === undefined) {
            throw h.err(
              `parsing ${sub} min_rate: strconv.ParseInt: parsing ${JSON.stringify(args[1])}: invalid syntax`,
            );
          }
          const key = sub === 'read_timeout' ? 'read_min_rate' : 'write_min_rate';
          if (rate) out[key] = rate;
        }
        break;
      }
      case 'max_write_chunk': {
        const args = h.remainingArgs();
        if (args.length !== 1) throw h.argErr();
        let size: number;
        try {
          size = parseBytes(args[0]);
        } catch (e) {
          throw h.err(`parsing max_write_chunk: ${(e as Error).message}`);
        }
        if (size) out.max_write_chunk = size;
        break;
      }
      default:
        throw h.err(`unrecognized timeouts subdirective '${sub}'`);
    }
  }
  return out;
}

/** `metrics [<matcher>] { disable_openmetrics }`: serves the Prometheus exposition. */
export function parseMetrics(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (h.remainingArgs().length > 0) throw h.argErr();
  const out: HandlerJSON = { handler: 'metrics' };
  for (const n = h.nesting(); h.nextBlock(n); ) {
    if (h.val() !== 'disable_openmetrics') throw h.err(`unrecognized subdirective ${JSON.stringify(h.val())}`);
    out.disable_openmetrics = true;
  }
  return out;
}

/** `templates [<matcher>] { mime …; between <open> <close>; root <path> }`. */
export function parseTemplates(h: Helper): HandlerJSON {
  h.next(); // directive name
  const out: HandlerJSON = { handler: 'templates' };
  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'mime': {
        const a = h.remainingArgs();
        if (a.length === 0) throw h.argErr();
        out.mime_types = a;
        break;
      }
      case 'between': {
        const a = h.remainingArgs();
        if (a.length !== 2) throw h.argErr();
        out.delimiters = a;
        break;
      }
      case 'root':
        if (!nextArg(h)) throw h.argErr();
        if (h.val()) out.file_root = h.val();
        break;
      default:
        // Caddy ignores unknown subdirectives here
        break;
    }
  }
  return out;
}

registerHandlerDirective('log_skip', parseLogSkip);
registerHandlerDirective('skip_log', parseLogSkip);
registerHandlerDirective('log_append', parseLogAppend);
registerHandlerDirective('log_name', parseLogName);
registerHandlerDirective('timeouts', parseTimeouts);
registerHandlerDirective('metrics', parseMetrics);
registerHandlerDirective('templates', parseTemplates);

registerUnsupportedDirective(
  'push',
  'a Worker cannot push HTTP/2 streams, send a Link preload header with header instead',
);
registerUnsupportedDirective(
  'php_fastcgi',
  'a Worker cannot speak FastCGI, proxy to a PHP server with reverse_proxy instead',
);
registerUnsupportedDirective(
  'acme_server',
  'Gatehouse runs no certificate authority, Cloudflare terminates TLS at the edge',
);
registerUnsupportedDirective(
  'fs',
  'a Worker has no local file system, serve files from an upstream with reverse_proxy',
);
registerUnsupportedDirective('tracing', 'OpenTelemetry tracing is not implemented, remove the directive');
registerUnsupportedDirective(
  'intercept',
  'response interception is not implemented, use handle_response inside reverse_proxy',
);

// Parsed (so a Caddyfile Caddy would reject gets Caddy's error) but no runtime module exists for their handlers.
registerUnsupportedDirective(
  'templates',
  'a Worker has no file system for templates and Go templates do not run in it, render them upstream and reverse_proxy to it',
);
registerUnsupportedDirective('timeouts', 'the Workers runtime owns connection timeouts, remove the directive');
