import { ConfigError } from '../../config/errors.ts';
import { fieldValueTemplate, responseFieldValue } from '../field-value.ts';
import { AbortConnection, handlerError } from './errors.ts';
import { responseHeaderMap, takeResponseHeaderMap } from './response.ts';
import { replaceAll, replaceKnown } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, headerMap, optBool, optString, weakString } from './util.ts';
import { isDigits } from '../../util/digits.ts';

/**
 * `static_response` (respond, redir, abort): writes a fixed response. The body keeps unknown placeholders
 * (ReplaceKnown), the status and headers drop them (ReplaceAll). Inside error routes the default status is the
 * error's. 103 Early Hints cannot be sent from a Worker, so such a handler just continues the chain.
 */
export const compileStaticResponse: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['status_code', 'headers', 'body', 'close', 'abort'], path);
  if (optBool(json.abort, 'abort', path)) {
    return async () => {
      throw new AbortConnection();
    };
  }
  const close = optBool(json.close, 'close', path);
  // Location of a redir comes from request data as often as not: CR/LF in it are written as Go writes them.
  const value = (src: string) => fieldValueTemplate(src, replaceAll(src), responseFieldValue);
  const headers = headerMap(json.headers, 'headers', path).map(([f, vs]) => [replaceAll(f), vs.map(value)] as const);
  const bodySrc = optString(json.body, 'body', path) ?? '';
  const body = replaceKnown(bodySrc);
  const statusSrc = weakString(json.status_code, 'status_code', path);
  const status = statusSrc === undefined ? undefined : replaceAll(statusSrc);
  if (statusSrc !== undefined && !statusSrc.includes('{') && !isDigits(statusSrc)) {
    throw new ConfigError(`static_response: status_code ${JSON.stringify(statusSrc)} is not an integer`, path);
  }

  return async (ctx, next) => {
    const h = responseHeaderMap(ctx);
    if (close) h.set('Connection', 'close');
    for (const [f, vs] of headers) {
      const name = f(ctx);
      h.delete(name);
      for (const v of vs.map((t) => t(ctx))) h.append(name, v);
    }
    const text = body(ctx);
    if (text !== '' && !h.has('content-type')) h.set('Content-Type', contentTypeFor(text));

    let code = ctx.error && ctx.error.statusCode > 0 ? ctx.error.statusCode : 200;
    if (status) {
      const s = status(ctx);
      if (!/^[+-]?\d+$/.test(s))
        throw handlerError(500, new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`));
      code = Number(s);
    }
    if (code === 103) return next(ctx);
    if (code < 200 || code > 599) throw handlerError(500, new Error(`invalid status code ${code}`));
    const nullBody = nullStatus(code) || ctx.request.method === 'HEAD';
    // The written header map becomes the response's headers.
    const out = takeResponseHeaderMap(ctx);
    // Go announces the length of a body written at once (for HEAD too, whose body it leaves out). The runtime knows
    // a string body's length but does not show it in the headers, which the metrics and handlers after this read.
    if (text !== '' && !nullStatus(code) && !out.has('content-length'))
      out.set('Content-Length', String(utf8Length(text)));
    const res = new Response(nullBody || text === '' ? null : text, { status: code });
    // The runtime gives a string body its own Content-Type; the map always has one for text and replaces it.
    out.copyTo(res.headers);
    return res;
  };
};

/** Bytes of `s` in UTF-8, without encoding it (a lone surrogate counts as the 3-byte replacement character). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 4 bytes for two UTF-16 units
      i++;
    } else n += 2;
  }
  return n;
}

function nullStatus(code: number): boolean {
  return code === 204 || code === 205 || code === 304;
}

/** Caddy's sniffing replacement: JSON-looking bodies are application/json, everything else plain text. */
function contentTypeFor(body: string): string {
  const t = body.trim();
  const jsonish = t.length > 2 && ((t[0] === '{' && t.endsWith('}')) || (t[0] === '[' && t.endsWith(']')));
  if (jsonish) {
    try {
      JSON.parse(t);
      return 'application/json';
    } catch {
      // not JSON after all
    }
  }
  return 'text/plain; charset=utf-8';
}

export const staticResponseHandler: HandlerModule = { name: 'static_response', compile: compileStaticResponse };
