import { errorId } from './handlers/errors.ts';
import { HandlerError } from './types.ts';

/**
 * The `request_body max_size` in force for a request, and how a fetch() that sends the body learns that it failed.
 * workerd ends a fetch's request body cleanly when the JavaScript stream it reads errors, so the upstream would
 * take the bytes so far for a complete request; a fetch that sends a limited body therefore takes `failed.signal`,
 * which is aborted just before the stream errors, and workerd then aborts the upstream request instead.
 */
export interface RequestBodyLimit {
  /** The smallest max_size on the way (nested request_body handlers each wrap the body). */
  maxSize: number;
  readonly failed: AbortController;
}

/**
 * Passes at most `max` bytes through; the read past the limit aborts `failed` and then errors the stream with a
 * 413 HandlerError, so a fetch sending it is aborted rather than finished. Like Go's MaxBytesReader, the bytes up to
 * the limit are still delivered ({http.request.body} holds them); the error comes with the read after them.
 */
export function limitStream(
  body: ReadableStream<Uint8Array>,
  max: number,
  failed: AbortController,
): ReadableStream<Uint8Array> {
  let seen = 0;
  const fail = (controller: TransformStreamDefaultController<Uint8Array>) => {
    const err = new HandlerError(413, 'http: request body too large', errorId());
    failed.abort(err);
    controller.error(err);
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const before = seen;
        seen += chunk.byteLength;
        if (before >= max && seen > max) return fail(controller);
        if (seen > max) controller.enqueue(chunk.subarray(0, max - before));
        else controller.enqueue(chunk);
      },
      flush(controller) {
        if (seen > max) fail(controller);
      },
    }),
  );
}
