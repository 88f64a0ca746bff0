import { HandlerError } from '../types.ts';

// Caddy's error ids: 9 characters from a lower-case dictionary, for correlating logs with {err.id}.
const ID_CHARS = 'abcdefghijkmnpqrstuvwxyz0123456789';

export function errorId(): string {
  let s = '';
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  for (const b of bytes) s += ID_CHARS[b % ID_CHARS.length];
  return s;
}

/** Caddy's caddyhttp.Error: wraps anything into a HandlerError, keeping an existing status and id. */
export function handlerError(statusCode: number, err: unknown): HandlerError {
  if (err instanceof HandlerError) {
    if (err.id && err.statusCode) return err;
    return new HandlerError(err.statusCode || statusCode, err.message, err.id || errorId(), err.trace);
  }
  const message = err instanceof Error ? err.message : err === undefined ? '' : String(err);
  return new HandlerError(statusCode, message, errorId());
}

/** Thrown by `abort`: the connection is dropped without a response (Caddy panics with http.ErrAbortHandler). */
export class AbortConnection extends Error {
  constructor() {
    super('request aborted by config (abort)');
    this.name = 'AbortConnection';
  }
}
