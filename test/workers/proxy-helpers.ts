import { HandlerError, type Handler, type Matcher, type RequestContext, type Template } from '../../src/http/types.ts';
import { compileCopyResponse, compileCopyResponseHeaders, compileReverseProxy } from '../../src/proxy/index.ts';
import type { ProxyDeps } from '../../src/proxy/types.ts';
import { PoolRegistry } from '../../src/proxy/pool-registry.ts';
import { resolvePlaceholder } from '../../src/http/placeholders/index.ts';

// Test doubles for what the route compiler gives the proxy: a tiny placeholder compiler (vars, a few request
// fields and the proxy's own placeholders), method/path matchers, and handle_response routes built from copy_response, copy_response_headers and
// static_response.

export function makeCtx(req: Request, remoteIp = '203.0.113.9', env: Record<string, unknown> = {}): RequestContext {
  return {
    request: req,
    url: new URL(req.url),
    originalUrl: new URL(req.url),
    originalMethod: req.method,
    remoteIp,
    remotePort: '40000',
    vars: new Map(),
    env,
    startedAt: Date.now(),
    responseHooks: [],
  };
}

const compileTemplate =
  (s: string, unknown: 'empty' | 'keep' = 'empty'): Template =>
  (ctx) =>
    s.replace(/\{([^{}]+)\}/g, (all, name: string) => {
      if (name === 'http.request.host') return ctx.url.hostname;
      if (name === 'http.request.uri.path') return ctx.url.pathname;
      if (ctx.vars.has(name)) return String(ctx.vars.get(name));
      // The proxy's own results ({http.reverse_proxy.*}) are answered by its placeholder family.
      if (name.startsWith('http.reverse_proxy.'))
        return resolvePlaceholder(ctx, name) ?? (unknown === 'keep' ? all : '');
      return unknown === 'keep' ? all : '';
    });

function compileMatcherSets(sets: unknown[]): Matcher {
  const compiled = sets.map((set) => {
    const rec = set as { method?: string[]; path?: string[] };
    return (ctx: RequestContext): boolean =>
      (!rec.method || rec.method.includes(ctx.request.method)) && (!rec.path || rec.path.includes(ctx.url.pathname));
  });
  return (ctx) => compiled.some((m) => m(ctx));
}

function compileRoutes(routes: unknown[]): Handler {
  const handlers = routes.flatMap((r) =>
    ((r as { handle?: Array<Record<string, unknown>> }).handle ?? []).map((h) => compileOne(h)),
  );
  return (ctx, next) => {
    const run = (i: number, c: RequestContext): Promise<Response> =>
      i < handlers.length ? handlers[i](c, (cc) => run(i + 1, cc)) : next(c);
    return run(0, ctx);
  };
}

function compileOne(h: Record<string, unknown>): Handler {
  if (h.handler === 'copy_response') return compileCopyResponse(h, deps);
  if (h.handler === 'copy_response_headers') return compileCopyResponseHeaders(h, deps);
  if (h.handler === 'static_response') {
    const body = compileTemplate(String(h.body ?? ''));
    return async (ctx) => new Response(body(ctx), { status: Number(h.status_code ?? 200) });
  }
  throw new Error(`test double cannot compile ${String(h.handler)}`);
}

/** The shared pools of the handlers proxy() compiles: one standalone scope, live from each handler's first request. */
export const testPools = new PoolRegistry();
export const deps: ProxyDeps = {
  compileTemplate,
  compileMatcherSets,
  compileRoutes,
  path: 'test',
  pools: testPools.scope(true),
};

export function proxy(json: Record<string, unknown>): Handler {
  return compileReverseProxy({ handler: 'reverse_proxy', ...json }, deps);
}

export const nextHandler = async (): Promise<Response> => new Response('from next', { status: 299 });

/** Runs the handler; a HandlerError becomes a Response with its status and the message as body, as tests observe it. */
export async function serve(h: Handler, ctx: RequestContext): Promise<Response> {
  try {
    return await h(ctx, nextHandler);
  } catch (e) {
    if (e instanceof HandlerError)
      return new Response(`handler error: ${e.message}`, { status: e.statusCode, headers: { 'x-handler-error': '1' } });
    throw e;
  }
}

export interface Echo {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  rawHeaders: string[];
  body: string;
}
