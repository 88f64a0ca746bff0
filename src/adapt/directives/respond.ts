import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { atoi, weakString } from './util.ts';

/**
 * `respond`, `error` and `abort`: all three end the chain with a fixed outcome. `respond` and `error`
 * share Caddy's one-argument rule: a 3-character positive integer is the status, anything else is the text.
 */

/** Splits `<text>|<status> [<status>]` into text and status the way Caddy's static_response/error do. */
function textAndStatus(h: Helper): { text: string; status: string } {
  const args = h.remainingArgs();
  if (args.length === 1) {
    const n = args[0].length === 3 ? atoi(args[0]) : undefined;
    if (n !== undefined && n > 0) return { text: '', status: args[0] };
    return { text: args[0], status: '' };
  }
  if (args.length === 2) return { text: args[0], status: args[1] };
  throw h.argErr();
}

/** The rest of a block line as the one text value (Caddy's AllArgs with one target). */
function oneArg(h: Helper): string {
  const args = h.remainingArgs();
  if (args.length !== 1) throw h.argErr();
  return args[0];
}

/** `respond [<matcher>] <body>|<status> [<status>] { body <text>; close }` → static_response. */
export function parseRespond(h: Helper): HandlerJSON {
  h.next(); // directive name
  let { text: body, status } = textAndStatus(h);
  let close = false;
  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'body':
        if (body !== '') throw h.err('body already specified');
        body = oneArg(h);
        break;
      case 'close':
        if (close) throw h.err('close already specified');
        close = true;
        break;
      default:
        throw h.err(`unrecognized subdirective '${h.val()}'`);
    }
  }
  const out: HandlerJSON = { handler: 'static_response' };
  if (status !== '') out.status_code = weakString(status);
  if (body !== '') out.body = body;
  if (close) out.close = true;
  return out;
}

/** `error [<matcher>] <message>|<status> [<status>] { message <text> }` → error handler (default status 500). */
export function parseError(h: Helper): HandlerJSON {
  h.next(); // directive name
  let { text: message, status } = textAndStatus(h);
  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'message':
        if (message !== '') throw h.err('message already specified');
        message = oneArg(h);
        break;
      default:
        throw h.err(`unrecognized subdirective '${h.val()}'`);
    }
  }
  const out: HandlerJSON = { handler: 'error' };
  if (message !== '') out.error = message;
  if (status !== '') out.status_code = weakString(status);
  return out;
}

/** `abort [<matcher>]`: drops the connection without a response; takes no arguments and no block. */
export function parseAbort(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (h.next()) throw h.argErr();
  return { handler: 'static_response', abort: true };
}

registerHandlerDirective('respond', parseRespond);
registerHandlerDirective('error', parseError);
registerHandlerDirective('abort', parseAbort);
