import { compileHeaderOps } from './header-ops.ts';
import { compileResponseMatcher } from './response-matcher.ts';
import { replaceRequest } from './request.ts';
import { mutable, responseHeaderMap } from './response.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { thenNext } from './then-next.ts';
import { checkHandler, optBool, optRecord } from './util.ts';

/**
 * `headers`: request ops apply at once (Host edits change the request's host); response ops either go straight
 * into the response header map, or — when `deferred` or `require` is set — run when the response is written.
 */
export const compileHeaders: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['request', 'response'], path);
  const reqOps = compileHeaderOps(json.request, `${path}.request`);
  const respJson = optRecord(json.response, 'response', path);
  const respOps = compileHeaderOps(respJson, `${path}.response`, ['deferred', 'require']);
  const deferred = optBool(respJson?.deferred, 'deferred', path);
  const require = compileResponseMatcher(respJson?.require, `${path}.response.require`);

  return thenNext((ctx) => {
    if (reqOps) {
      // Like Caddy, the request's host is visible to the ops as a Host field, and a changed Host moves the request.
      const headers = new Headers(ctx.request.headers);
      const hadHost = headers.has('host');
      const host = ctx.url.host;
      headers.set('host', host);
      reqOps(headers, ctx);
      const newHost = headers.get('host');
      if (!hadHost) headers.delete('host');
      const url = new URL(ctx.url);
      if (newHost && newHost !== host) {
        url.host = newHost;
        if (hadHost) headers.set('host', newHost);
      } else if (hadHost) headers.set('host', host);
      replaceRequest(ctx, url, { headers });
    }
    if (respOps) {
      if (deferred || require) {
        ctx.responseHooks.push((res) => {
          if (require && !require(res.status, res.headers, ctx)) return res;
          const out = mutable(res);
          respOps(out.headers, ctx);
          return out;
        });
      } else respOps(responseHeaderMap(ctx), ctx);
    }
  });
};

export const headersHandler: HandlerModule = { name: 'headers', compile: compileHeaders };
