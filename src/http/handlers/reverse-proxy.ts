import { compileMatcherSets } from '../matchers/index.ts';
import { compileTemplate } from '../placeholders/index.ts';
import {
  compileCopyResponse,
  compileCopyResponseHeaders,
  compileReverseProxy,
  type ProxyDeps,
} from '../../proxy/index.ts';
import type { CompileDeps, HandlerCompiler, HandlerModule } from './types.ts';

/** `reverse_proxy` (src/proxy/), given the template, matcher and route compilers it builds on. */
function proxyDeps(deps: CompileDeps): ProxyDeps {
  return {
    path: deps.path,
    compileTemplate: (s, unknown) => compileTemplate(s, unknown ?? 'empty'),
    compileMatcherSets: (sets) => compileMatcherSets(sets, `${deps.path}.match`),
    compileRoutes: (routes) => deps.compileRoutes(routes as never, `${deps.path}.handle_response`),
    onActivate: deps.onActivate,
    pools: deps.pools,
  };
}

export const compileReverseProxyHandler: HandlerCompiler = (json, deps) => compileReverseProxy(json, proxyDeps(deps));

/** `copy_response` / `copy_response_headers`: only meaningful inside reverse_proxy's handle_response routes. */
export const compileCopyResponseHandler: HandlerCompiler = (json, deps) => compileCopyResponse(json, proxyDeps(deps));
export const compileCopyResponseHeadersHandler: HandlerCompiler = (json, deps) =>
  compileCopyResponseHeaders(json, proxyDeps(deps));

export const reverseProxyHandler: HandlerModule = { name: 'reverse_proxy', compile: compileReverseProxyHandler };

export const copyResponseHandler: HandlerModule = { name: 'copy_response', compile: compileCopyResponseHandler };

export const copyResponseHeadersHandler: HandlerModule = {
  name: 'copy_response_headers',
  compile: compileCopyResponseHeadersHandler,
};
