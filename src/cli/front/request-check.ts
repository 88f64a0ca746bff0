import { isValidHost } from '../../http/host-syntax.ts';

/**
 * What the front checks before a request reaches workerd, which builds `request.url` from the raw Host and the
 * request target: a request either goes on with the host and origin-form path to send, or is answered here with
 * the status and body Caddy (Go's net/http) gives for the same fault.
 */
export type RequestCheck = { ok: true; host: string; path: string } | { ok: false; status: number; body: string };

export interface RequestHead {
  method?: string;
  /** The request target as sent (origin, absolute or asterisk form). */
  url?: string;
  rawHeaders: string[];
}

const malformedHost = answer(400, '400 Bad Request: malformed Host header');
const missingHost = answer(400, '400 Bad Request: missing required Host header');
const badRequest = answer(400, '400 Bad Request');

/** `http://authority/rest`: the authority ends at the first `/`, `?` or `#` (RFC 3986); `@` is then rejected. */
const absoluteForm = /^https?:\/\/([^/?#]*)(.*)$/is;

export function checkRequest(head: RequestHead): RequestCheck {
  // A Worker cannot receive CONNECT (fetch forbids the method): say so instead of a 500 from the runtime.
  if (head.method === 'CONNECT') return answer(400, '400 Bad Request: CONNECT is not supported');
  let hostField: string | undefined;
  for (let i = 0; i < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i].length === 4 && head.rawHeaders[i].toLowerCase() === 'host') {
      if (hostField !== undefined) return badRequest; // Go: "too many Host headers"
      hostField = head.rawHeaders[i + 1];
    }
  }
  // Go's server also asks HTTP/1.0 for a Host and lets it be empty; workerd cannot build a URL without one.
  if (hostField === undefined) return missingHost;
  if (!isValidHost(hostField)) return malformedHost;

  const target = head.url ?? '';
  if (target.charCodeAt(0) === 0x2f /* / */) return { ok: true, host: hostField, path: target };
  // Absolute form: the authority in the target is the host (RFC 9112 3.2.2), as in Go's server.
  const absolute = absoluteForm.exec(target);
  if (absolute) {
    if (!isValidHost(absolute[1])) return malformedHost;
    const rest = absolute[2];
    if (rest.charCodeAt(0) === 0x23 /* # */) return badRequest;
    return {
      ok: true,
      host: absolute[1],
      path: rest === '' ? '/' : rest.charCodeAt(0) === 0x3f /* ? */ ? `/${rest}` : rest,
    };
  }
  // Go's server answers `OPTIONS *` itself, before any handler runs.
  if (target === '*' && head.method === 'OPTIONS') return answer(200, '');
  return badRequest;
}

function answer(status: number, body: string): RequestCheck {
  return { ok: false, status, body };
}
