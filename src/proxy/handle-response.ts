import { checkFields } from '../http/handlers/util.ts';
import { ConfigError } from '../config/errors.ts';
import { responseHeaderMap } from '../http/handlers/response.ts';
import { HandlerError, type Handler, type RequestContext, type Template } from '../http/types.ts';
import { compileResponseMatcher, type ResponseMatcher } from '../http/handlers/response-matcher.ts';
import type { ProxyDeps } from './types.ts';
import { isDigits } from '../util/digits.ts';

// handle_response: routes that take over when the upstream's response matches, plus the two handlers that may run
// inside them (copy_response, copy_response_headers) and reach the intercepted response through the request.

export interface ResponseHandlerEntry {
  readonly match: ResponseMatcher | undefined;
  /** replace_status: only change the status, then copy the response as usual. */
  readonly statusCode: Template | undefined;
  readonly routes: Handler | undefined;
}

/** The intercepted upstream response and the proxy's own way of writing it (status override optional). */
export interface InterceptedResponse {
  readonly response: Response;
  finalize(status?: number): Response;
  finalized: boolean;
}

const intercepted = new WeakMap<RequestContext, InterceptedResponse>();

export function setIntercepted(ctx: RequestContext, r: InterceptedResponse | undefined): void {
  if (r) intercepted.set(ctx, r);
  else intercepted.delete(ctx);
}

export function compileHandleResponse(json: unknown, deps: ProxyDeps, path: string): ResponseHandlerEntry[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) throw new ConfigError('handle_response must be a list', path);
  return json.map((e: unknown, i: number) => {
    const where = `${path}.handle_response[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new ConfigError('handle_response entry must be an object', where);
    const rec = e as Record<string, unknown>;
    checkFields(rec, ['match', 'status_code', 'routes'], where, 'handle_response');
    const sc = rec.status_code;
    if (sc !== undefined && sc !== null && sc !== '' && typeof sc !== 'number' && typeof sc !== 'string') {
      throw new ConfigError('status_code must be an integer or a string', where);
    }
    let routes: Handler | undefined;
    if (rec.routes !== undefined && rec.routes !== null) {
      if (!Array.isArray(rec.routes)) throw new ConfigError('routes must be a list', where);
      if (!deps.compileRoutes) throw new ConfigError('handle_response routes cannot be compiled here', where);
      routes = deps.compileRoutes(rec.routes);
    }
    return {
      match: compileResponseMatcher(rec.match, where),
      statusCode: sc === undefined || sc === null || sc === '' ? undefined : deps.compileTemplate(String(sc), 'empty'),
      routes,
    };
  });
}

function current(ctx: RequestContext): InterceptedResponse {
  const r = intercepted.get(ctx);
  if (!r)
    throw new HandlerError(500, 'no reverse_proxy response to copy: copy_response only works inside handle_response');
  return r;
}

/** `copy_response`: writes the intercepted response as the proxy would, optionally with another status. */
export function compileCopyResponse(json: Record<string, unknown>, deps: ProxyDeps): Handler {
  checkFields(json, ['handler', 'status_code'], deps.path ?? '', 'copy_response');
  const sc = json.status_code;
  const status = sc === undefined || sc === null || sc === '' ? undefined : deps.compileTemplate(String(sc), 'empty');
  return async (ctx) => {
    const r = current(ctx);
    let code: number | undefined;
    if (status) {
      const s = status(ctx);
      if (!isDigits(s)) throw new HandlerError(500, `invalid status code ${JSON.stringify(s)}`);
      code = Number(s) || undefined;
    }
    r.finalized = true;
    return r.finalize(code);
  };
}

/** `copy_response_headers`: copies the intercepted response's fields (include or exclude list) and continues. */
export function compileCopyResponseHeaders(json: Record<string, unknown>, deps: ProxyDeps): Handler {
  const path = deps.path ?? '';
  checkFields(json, ['handler', 'include', 'exclude'], path, 'copy_response_headers');
  const list = (v: unknown, what: string): Set<string> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw new ConfigError(`${what} must be a list of strings`, path);
    return new Set((v as string[]).map((s) => s.toLowerCase()));
  };
  const include = list(json.include, 'include');
  const exclude = list(json.exclude, 'exclude');
  if (include && exclude)
    throw new ConfigError('copy_response_headers: cannot define both include and exclude lists', path);
  return async (ctx, next) => {
    const r = current(ctx);
    const base = responseHeaderMap(ctx);
    const src = r.response.headers;
    for (const name of new Set(src.keys())) {
      if (include && !include.has(name)) continue;
      if (exclude?.has(name)) continue;
      if (name === 'set-cookie') {
        base.delete(name);
        for (const c of src.getSetCookie()) base.append(name, c);
      } else base.set(name, src.get(name) ?? '');
    }
    return next(ctx);
  };
}
