import { ConfigError } from '../config/errors.ts';
import type { Matcher, RequestContext } from '../http/types.ts';
import { compilePolicy, type PolicyTraits } from './policies/index.ts';
import { checkFields } from '../http/handlers/util.ts';
import { LOAD_BALANCING_FIELDS } from './json.ts';
import { durationMs } from './passive-health.ts';
import type { ProxyDeps, SelectionPolicy } from './types.ts';

// Caddy's LoadBalancing: how an upstream is chosen and when a failed attempt is tried again.

export interface LoadBalancing {
  readonly policy: SelectionPolicy;
  readonly policyTraits: PolicyTraits;
  readonly retries: number;
  readonly tryDurationMs: number;
  readonly tryIntervalMs: number;
  readonly retryMatch: Matcher | undefined;
}

export function compileLoadBalancing(json: unknown, deps: ProxyDeps, path: string): LoadBalancing {
  const rec = (json ?? {}) as Record<string, unknown>;
  if (typeof rec !== 'object' || Array.isArray(rec)) throw new ConfigError('load_balancing must be an object', path);
  checkFields(rec, LOAD_BALANCING_FIELDS, path, 'load_balancing');
  const retries = rec.retries ?? 0;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0)
    throw new ConfigError('retries must be a non-negative integer', path);
  const tryDurationMs = durationMs(rec.try_duration, 'try_duration', path);
  let tryIntervalMs = durationMs(rec.try_interval, 'try_interval', path);
  // Caddy waits 250ms between attempts when only try_duration bounds the retrying.
  if (tryDurationMs > 0 && tryIntervalMs === 0) tryIntervalMs = 250;
  let retryMatch: Matcher | undefined;
  if (rec.retry_match !== undefined && rec.retry_match !== null) {
    if (!Array.isArray(rec.retry_match)) throw new ConfigError('retry_match must be a list of matcher sets', path);
    retryMatch = deps.compileMatcherSets(rec.retry_match);
  }
  const selection = compilePolicy(rec.selection_policy, `${path}.selection_policy`);
  return {
    policy: selection.select,
    policyTraits: selection.traits,
    retries,
    tryDurationMs,
    tryIntervalMs,
    retryMatch,
  };
}

/** Why an attempt failed, as far as retrying is concerned. */
export type FailureKind = 'dial' | 'no-upstream' | 'transport';

/**
 * Caddy's tryAgain: whether to make another attempt after `retriesDone` retries. Dial failures and "no upstream"
 * are always safe to retry (nothing reached an upstream); any other failure only for GET without retry_match, or
 * when retry_match matches the request. Waits try_interval before saying yes.
 */
export async function tryAgain(
  lb: LoadBalancing,
  startedAt: number,
  retriesDone: number,
  kind: FailureKind,
  ctx: RequestContext,
  method: string,
): Promise<boolean> {
  if (lb.tryDurationMs === 0 && lb.retries === 0) return false;
  if (lb.tryDurationMs > 0 && Date.now() - startedAt >= lb.tryDurationMs) return false;
  if (lb.retries > 0 && retriesDone >= lb.retries) return false;
  if (kind === 'transport') {
    if (!lb.retryMatch && method !== 'GET') return false;
    if (lb.retryMatch) {
      ctx.vars.set('http.reverse_proxy.is_transport_error', true);
      try {
        if (!lb.retryMatch(ctx)) return false;
      } finally {
        ctx.vars.delete('http.reverse_proxy.is_transport_error');
      }
    }
  }
  if (lb.tryIntervalMs > 0) await new Promise((r) => setTimeout(r, lb.tryIntervalMs));
  return true;
}

/**
 * A request body as attempts can send it: replayable bytes, or a one-shot stream. A stream Gatehouse made can fail
 * (request_body max_size, or the client's body failing under a replay buffer); `failed` is then aborted before it
 * errors, so the fetch sending it is aborted rather than finished (workerd ends a request body cleanly when its
 * JavaScript stream errors).
 */
export type ProxyBody =
  | { kind: 'none' }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'stream'; stream: ReadableStream<Uint8Array>; used: boolean; failed?: AbortSignal };

/**
 * Reads up to `limit` bytes so a retry can resend the body. A body that fits is kept whole; a longer one becomes a
 * stream of what was read plus the rest, which can be sent once (so no retry after it was sent). A read that fails
 * is an error: while buffering it rejects, later it aborts the stream's `failed` signal and errors the stream.
 */
export async function bufferBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<ProxyBody> {
  if (!body) return { kind: 'none' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      let i = 0;
      const failed = new AbortController();
      const rest = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (i < chunks.length) {
            controller.enqueue(chunks[i++]);
            return;
          }
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await reader.read();
          } catch (e) {
            failed.abort(e);
            controller.error(e);
            return;
          }
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
      return { kind: 'stream', stream: rest, used: false, failed: failed.signal };
    }
  }
  if (size === 0) return { kind: 'none' };
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return { kind: 'bytes', bytes };
}
