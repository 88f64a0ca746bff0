import { ConfigError } from '../../config/errors.ts';
import { placeholderResolver } from '../placeholders/index.ts';
import type { RequestContext } from '../types.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';

// `log_append` (Caddy 2.8+; `early`, the Caddyfile's `<` prefix, 2.11): adds a field to the request's access log
// entry. The value is one whole placeholder, else the var of that name, else the text itself, as Caddy decides.
// Added after the rest of the chain has run unless `early`, so it sees what the handlers set.

const RESPONSE_BODY = new Set(['{http.response.body}', '{http.response.body_base64}']);

export const compileLogAppend: HandlerCompiler = (json, deps) => {
  for (const k of Object.keys(json)) {
    if (!['handler', 'key', 'value', 'early'].includes(k))
      throw new ConfigError(`log_append: unknown field "${k}"`, deps.path);
  }
  const key = json.key;
  const value = json.value ?? '';
  if (typeof key !== 'string' || key === '') throw new ConfigError('log_append needs a key', deps.path);
  if (typeof value !== 'string') throw new ConfigError('log_append value must be a string', deps.path);
  if (RESPONSE_BODY.has(value))
    throw new ConfigError(
      'log_append of the response body is not supported (it would buffer every response)',
      deps.path,
    );
  const single = value.startsWith('{') && value.endsWith('}') && value.split('{').length === 2;
  const resolve = single ? placeholderResolver(value.slice(1, -1)) : undefined;
  const add = (ctx: RequestContext) => {
    const v = resolve ? (resolve(ctx) ?? null) : ctx.vars.has(value) ? ctx.vars.get(value) : value;
    (ctx.logFields ??= []).push([key, v]);
  };
  if (json.early === true) {
    return (ctx, next) => {
      add(ctx);
      return next(ctx);
    };
  }
  return (ctx, next) => {
    let chain: Promise<Response>;
    try {
      chain = next(ctx);
    } catch (e) {
      chain = Promise.reject(e);
    }
    return chain.then(
      (res) => {
        add(ctx);
        return res;
      },
      (e: unknown) => {
        add(ctx);
        throw e;
      },
    );
  };
};

export const logAppendHandler: HandlerModule = { name: 'log_append', compile: compileLogAppend };
