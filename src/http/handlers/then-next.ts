import type { Handler, RequestContext } from '../types.ts';

/**
 * A handler that does its work synchronously and then continues the chain, without an async frame of its own: the
 * rest of the chain's promise is returned as it is, where an async function would wrap it in a promise of its own
 * (two more microtask turns for each such handler on every request). What `work` or the rest of the chain throws
 * becomes a rejection, as from an async handler.
 */
export function thenNext(work: (ctx: RequestContext) => void): Handler {
  return (ctx, next) => {
    try {
      work(ctx);
      return next(ctx);
    } catch (e) {
      return Promise.reject(e);
    }
  };
}
