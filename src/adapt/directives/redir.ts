import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { atoi, nextArg, weakString } from './util.ts';

/**
 * `redir [<matcher>] <to> [<code>]`: a static_response with a Location header. `html` mode answers
 * 200 with a page that redirects browsers, so non-browser clients are not redirected.
 */

/** Go's html.EscapeString: the five characters that matter in HTML text and attributes. */
function escapeHTML(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;');
}

/** The page Caddy serves for `redir … html`: a script redirect first (browser history), a meta refresh as fallback. */
function htmlRedirectPage(to: string): string {
  const t = escapeHTML(to);
  return (
    '<!DOCTYPE html>\n<html>\n\t<head>\n\t\t<title>Redirecting...</title>\n' +
    `\t\t<script>window.location.replace("${t}");</script>\n` +
    `\t\t<meta http-equiv="refresh" content="0; URL='${t}'">\n` +
    `\t</head>\n\t<body>Redirecting to <a href="${t}">${t}</a>...</body>\n</html>\n`
  );
}

export function parseRedir(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (!nextArg(h)) throw h.argErr();
  const to = h.val();
  let code = nextArg(h) ? h.val() : '';

  let body = '';
  let headers: Record<string, string[]> | undefined;
  switch (code) {
    case 'permanent':
      code = '301';
      break;
    case 'temporary':
    case '':
      code = '302';
      break;
    case 'html':
      body = htmlRedirectPage(to);
      headers = { 'Content-Type': ['text/html; charset=utf-8'] };
      code = '200';
      break;
    default: {
      if (code.startsWith('{')) break; // a placeholder is checked at request time
      const n = atoi(code);
      if (n === undefined) throw h.err(`Not a supported redir code type or not valid integer: '${code}'`);
      // 401 with Location lets XHR clients redirect themselves (a 3xx would be followed invisibly)
      if (n < 300 || (n > 399 && n !== 401)) throw h.err(`Redir code not in the 3xx range or 401: '${n}'`);
    }
  }
  if (code !== '200') headers = { Location: [to] };

  const out: HandlerJSON = { handler: 'static_response', status_code: weakString(code) };
  if (headers) out.headers = headers;
  if (body) out.body = body;
  return out;
}

registerHandlerDirective('redir', parseRedir);
