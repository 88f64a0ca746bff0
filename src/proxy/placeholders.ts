import type { RequestContext } from '../http/types.ts';

// The proxy's placeholders live in ctx.vars under their full Caddy names ({rp.*} is the adapter's shorthand for
// {http.reverse_proxy.*}); the placeholder resolver looks unknown names up there.

export const RP = 'http.reverse_proxy.';

export function setRp(ctx: RequestContext, name: string, value: string | number | boolean): void {
  ctx.vars.set(RP + name, value);
}

/** Go's CanonicalMIMEHeaderKey, which names {rp.header.*} fields (content-type → Content-Type). */
export function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

/** {rp.status_code}, {rp.status_text}, {rp.header.*}: replaced per attempt (stale header values cleared). */
export function setResponsePlaceholders(ctx: RequestContext, status: number, statusText: string, headers: Headers): void {
  for (const key of [...ctx.vars.keys()]) if (key.startsWith(`${RP}header.`)) ctx.vars.delete(key);
  for (const [name, value] of headers) {
    // Fetch joins repeated fields with ", "; Caddy joins them with ",".
    ctx.vars.set(`${RP}header.${canonicalHeader(name)}`, name === 'set-cookie' ? headers.getSetCookie().join(',') : value);
  }
  setRp(ctx, 'status_code', status);
  setRp(ctx, 'status_text', `${status} ${statusText || STATUS_TEXT[status] || ''}`.trim());
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
