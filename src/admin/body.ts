import { errorResponse } from './responses.ts';

/**
 * The request body as text, or a 413 once it is larger than `limit` bytes: a declared Content-Length is checked
 * before anything is read, and a chunked body is counted as it arrives and abandoned at the limit, so an oversized
 * upload never sits in memory whole.
 */
export async function readBodyLimited(req: Request, limit: number): Promise<string | Response> {
  const declared = req.headers.get('Content-Length');
  if (declared !== null && Number(declared) > limit) return tooLarge(limit);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return tooLarge(limit);
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export function tooLarge(limit: number, what = 'request body'): Response {
  return errorResponse(413, `${what} too large: the limit is ${limit / (1024 * 1024)} MiB`);
}
