import type { HandlerJSON, MatcherSetJSON, RouteJSON } from '../../config/caddy-json.ts';
import { isQuoted, type Token } from '../../caddyfile/token.ts';
import { isNextOnNewLine } from '../../caddyfile/token.ts';
import type { Helper } from '../helper.ts';
import { canonicalHeaderKey } from '../matchers/util.ts';
import { registerHandlerDirective } from '../registry.ts';
import { parseReverseProxy } from './reverse-proxy/index.ts';

/**
 * `forward_auth` (Caddy's forwardauth/caddyfile.go): a reverse_proxy to an auth service that sends the request as
 * a GET to `uri` with X-Forwarded-Method/Uri, and on a 2xx answer copies `copy_headers` from the auth response
 * into the original request and lets it continue. Any other answer is returned to the client as is.
 */
function parseForwardAuth(h: Helper): HandlerJSON {
  h.next(); // directive name
  const segment = h.nextSegment();
  let uri = '';
  const copy = new Map<string, string>();
  const kept: Token[] = [];
  let depth = 0;
  for (let i = 0; i < segment.length; i++) {
    const t = segment[i];
    const lineStart = i === 0 || isNextOnNewLine(segment[i - 1], t);
    if (depth === 1 && lineStart && (t.text === 'uri' || t.text === 'copy_headers') && !isQuoted(t)) {
      // Collect this subdirective's arguments (and a copy_headers block) and leave them out of the proxy's tokens.
      const args: string[] = [];
      let j = i + 1;
      while (
        j < segment.length &&
        !isNextOnNewLine(segment[j - 1], segment[j]) &&
        !(segment[j].text === '{' && !isQuoted(segment[j]))
      ) {
        args.push(segment[j++].text);
      }
      if (
        j < segment.length &&
        segment[j].text === '{' &&
        !isQuoted(segment[j]) &&
        !isNextOnNewLine(segment[j - 1], segment[j])
      ) {
        j++;
        while (j < segment.length && !(segment[j].text === '}' && !isQuoted(segment[j]))) args.push(segment[j++].text);
        j++;
      }
      if (t.text === 'uri') {
        if (args.length !== 1) throw h.withTokens([t]).argErr();
        if (uri) throw h.withTokens([t]).err(`cannot re-declare uri: ${args[0]}`);
        uri = args[0];
      } else {
        if (args.length === 0) throw h.withTokens([t]).argErr();
        for (const field of args) {
          const [from, to] = field.includes('>') ? field.split('>') : [field, field];
          copy.set(from, to);
        }
      }
      i = j - 1;
      continue;
    }
    if (t.text === '{' && !isQuoted(t)) depth++;
    if (t.text === '}' && !isQuoted(t)) depth--;
    kept.push(t);
  }
  if (!uri) throw h.err("the 'uri' subdirective is required");

  const proxy = parseReverseProxy(h.withTokens(kept)) as HandlerJSON & Record<string, unknown>;
  const headers = (proxy.headers ??= {}) as { request?: { set?: Record<string, string[]> } };
  const request = (headers.request ??= {});
  request.set = {
    'X-Forwarded-Method': ['{http.request.method}'],
    'X-Forwarded-Uri': ['{http.request.uri}'],
    ...request.set,
  };
  proxy.rewrite = { method: 'GET', uri, ...(proxy.rewrite as object) };

  // On a 2xx from the auth service: an empty vars handler (the response is not written), then the header copies.
  const routes: RouteJSON[] = [{ handle: [{ handler: 'vars' }] }];
  for (const from of [...copy.keys()].sort()) {
    const to = canonicalHeaderKey(copy.get(from)!);
    const placeholder = `{http.reverse_proxy.header.${canonicalHeaderKey(from)}}`;
    routes.push({ handle: [{ handler: 'headers', request: { delete: [to] } }] });
    const notEmpty: MatcherSetJSON = { not: [{ vars: { [placeholder]: [''] } }] };
    routes.push({ match: [notEmpty], handle: [{ handler: 'headers', request: { set: { [to]: [placeholder] } } }] });
  }
  const good = { match: { status_code: [2] }, routes };
  proxy.handle_response = [good, ...((proxy.handle_response as unknown[]) ?? [])];
  return proxy;
}

registerHandlerDirective('forward_auth', parseForwardAuth);
