import { ConfigError } from '../../config/errors.ts';
import { HandlerError } from '../types.ts';
import { errorId, handlerError } from './errors.ts';
import { replaceAll, replaceKnown } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkHandler, optString, weakString } from './util.ts';
import { isDigits } from '../../util/digits.ts';

/** `error`: fails the request with a status (default 500) and message, for handle_errors to deal with. */
export const compileError: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['error', 'status_code'], path);
  const message = replaceKnown(optString(json.error, 'error', path) ?? '');
  const statusSrc = weakString(json.status_code, 'status_code', path);
  if (statusSrc !== undefined && !statusSrc.includes('{') && !isDigits(statusSrc)) {
    throw new ConfigError(`error: status_code ${JSON.stringify(statusSrc)} is not an integer`, path);
  }
  const status = statusSrc === undefined ? undefined : replaceAll(statusSrc);
  return async (ctx) => {
    let code = 500;
    if (status) {
      const s = status(ctx);
      if (!/^[+-]?\d+$/.test(s))
        throw handlerError(500, new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`));
      code = Number(s);
    }
    throw new HandlerError(code, message(ctx), errorId());
  };
};

export const errorHandler: HandlerModule = { name: 'error', compile: compileError };
