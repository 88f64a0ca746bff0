import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { ConfigValue, Helper } from '../helper.ts';
import { registerDirective } from '../registry.ts';
import {
  applyHeaderOp,
  headerOpsJSON,
  isEmptyRespOps,
  respHeaderOpsJSON,
  type HeaderOpsJSON,
  type RespHeaderOpsJSON,
} from './header-ops.ts';
import { parseResponseMatcher } from './response-matcher.ts';
import { nextArg } from './util.ts';
import { pushAll } from '../../util/push-all.ts';

/**
 * `header` and `request_header`: the `headers` handler. `header` may yield two handlers: `?field`
 * lines go to a second one that requires the field to be absent from the response.
 */

/** Reads `[<value> [<replacement>]]` after the field on the current line. */
function valueAndReplacement(h: Helper): { value: string; replacement: string | undefined } {
  const value = nextArg(h) ? h.val() : '';
  const replacement = nextArg(h) ? h.val() : undefined;
  return { value, replacement };
}

function apply(h: Helper, ops: HeaderOpsJSON, resp: RespHeaderOpsJSON | undefined, field: string): void {
  const { value, replacement } = valueAndReplacement(h);
  try {
    applyHeaderOp(ops, resp, field, value, replacement);
  } catch (e) {
    throw h.err((e as Error).message);
  }
}

function respHandler(ops: RespHeaderOpsJSON): HandlerJSON {
  return { handler: 'headers', response: respHeaderOpsJSON(ops) };
}

/** `header [<matcher>] [<op>]<field> [<value>|<regexp> [<replacement>]]` or a block of such lines, `defer`, `match`. */
export function parseHeader(h: Helper): ConfigValue[] {
  const matcherSet = h.extractMatcherSet();
  h.next(); // directive name

  const main: RespHeaderOpsJSON = {};
  const withRequire: RespHeaderOpsJSON = {};
  let hasArgs = false;
  if (nextArg(h)) {
    hasArgs = true;
    apply(h, main, main, h.val());
    if (main.delete?.length) main.deferred = true;
  }

  for (const n = h.nesting(); h.nextBlock(n); ) {
    let field = h.val();
    if (field === 'defer') {
      main.deferred = true;
      continue;
    }
    if (field === 'match') {
      main.require = parseResponseMatcher(h.newFromNextSegment());
      continue;
    }
    if (hasArgs) throw h.err('cannot specify headers in both arguments and block');
    // some users end field names with a colon, as in the HTTP wire format
    if (field.endsWith(':')) field = field.slice(0, -1);
    const target = field.startsWith('?') ? withRequire : main;
    apply(h, target, target, field);
  }

  const out: ConfigValue[] = [];
  if (!isEmptyRespOps(main)) pushAll(out, h.newRoute(matcherSet, respHandler(main)));
  if (!isEmptyRespOps(withRequire)) pushAll(out, h.newRoute(matcherSet, respHandler(withRequire)));
  return out;
}

/** `request_header [<matcher>] [+|-]<field> [<value>|<regexp> [<replacement>]]`: one op on request headers. */
export function parseRequestHeader(h: Helper): ConfigValue[] {
  const matcherSet = h.extractMatcherSet();
  h.next(); // directive name
  if (!nextArg(h)) throw h.argErr();
  let field = h.val();
  if (field.endsWith(':')) field = field.slice(0, -1);
  const value = nextArg(h) ? h.val() : '';
  let replacement: string | undefined;
  if (nextArg(h)) {
    replacement = h.val();
    if (nextArg(h)) throw h.argErr();
  }
  const ops: HeaderOpsJSON = {};
  try {
    applyHeaderOp(ops, undefined, field, value, replacement);
  } catch (e) {
    throw h.err((e as Error).message);
  }
  return h.newRoute(matcherSet, { handler: 'headers', request: headerOpsJSON(ops) });
}

registerDirective('header', parseHeader);
registerDirective('request_header', parseRequestHeader);
