import { inject, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';

// {http.request.body}: read whole before the handler that names it, as Caddy 2.6.2's replacer does, bounded by
// request_body max_size (Caddy keeps the bytes up to the limit) or by 1 MiB without one. The handlers after it
// still get the body as sent: all of it, or its limit error, never the shorter value as a complete body.

const ports = inject('proxyUpstreams');

function serve(caddyfile: string) {
  const config = compileConfig(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
  return async (path: string, init?: RequestInit) => {
    const res = await config.serve(new Request(`http://gw.test${path}`, init), {});
    return { status: res.status, text: await res.text() };
  };
}

/** A body sent in pieces that arrive one by one, as a slow client's chunked body does. */
function pieces(...parts: string[]): ReadableStream<Uint8Array> {
  return slowPieces(10, ...parts);
}

function slowPieces(pauseMs: number, ...parts: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (i === parts.length) return c.close();
      await new Promise((r) => setTimeout(r, i === 0 ? 0 : pauseMs));
      c.enqueue(new TextEncoder().encode(parts[i++]));
    },
  });
}

/** What the body-recording upstream saw for `key`: whether the request body arrived complete, and its size. */
async function seenBy(key: string): Promise<{ state: string; bytes: number }> {
  await new Promise((r) => setTimeout(r, 150));
  return (await (await fetch(`http://127.0.0.1:${ports.bodyRecorder}/seen?key=${key}`)).json()) as {
    state: string;
    bytes: number;
  };
}

describe('{http.request.body}', () => {
  const site = `:80 {\n\trequest_body /lim* {\n\t\tmax_size 10\n\t}\n\trespond "got [{http.request.body}] again [{http.request.body}]"\n}\n`;

  it('is the whole body, the same on every use', async () => {
    const get = serve(site);
    expect(await get('/x', { method: 'POST', body: 'hello' })).toEqual({
      status: 200,
      text: 'got [hello] again [hello]',
    });
    expect(await get('/x')).toEqual({ status: 200, text: 'got [] again []' });
  });

  it('keeps the bytes up to request_body max_size, as Caddy does, instead of failing', async () => {
    const get = serve(site);
    expect(await get('/lim', { method: 'POST', body: '0123456789abcdefghij' })).toEqual({
      status: 200,
      text: 'got [0123456789] again [0123456789]',
    });
    expect(await get('/lim', { method: 'POST', body: '0123456789' })).toEqual({
      status: 200,
      text: 'got [0123456789] again [0123456789]',
    });
    const chunked = pieces('0123', '4567', '89ab', 'cdef');
    expect(await get('/lim', { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)).toEqual({
      status: 200,
      text: 'got [0123456789] again [0123456789]',
    });
  });

  it('reads at most 1 MiB without request_body', async () => {
    const get = serve(`:80 {\n\trespond "{http.request.body}"\n}\n`);
    const res = await get('/', { method: 'POST', body: 'a'.repeat((1 << 20) + 5) });
    expect(res.status).toBe(200);
    expect(res.text.length).toBe(1 << 20);
  });

  it('reads 1 MiB for the value but passes the whole body on to reverse_proxy', async () => {
    const get = serve(`:80 {\n\tvars seen "{http.request.body}"\n\treverse_proxy 127.0.0.1:${ports.bodyRecorder}\n}\n`);
    const key = `big-${Math.random().toString(36).slice(2)}`;
    const size = (1 << 20) + 5;
    const res = await get(`/r?key=${key}`, { method: 'POST', body: 'a'.repeat(size) });
    expect(res).toEqual({ status: 200, text: `received ${size}` });
    expect(await seenBy(key)).toEqual({ state: 'complete', bytes: size });
  });

  it('over request_body max_size: the upstream request is aborted, never finished short', async () => {
    // `route` keeps this order: request_body sorts after vars by default.
    const get = serve(
      `:80 {\n\troute {\n\t\trequest_body {\n\t\t\tmax_size 10\n\t\t}\n\t\tvars seen "{http.request.body}"\n\t\treverse_proxy 127.0.0.1:${ports.bodyRecorder}\n\t}\n}\n`,
    );
    for (const body of [
      '0123456789abcdefghij',
      pieces('0123', '4567', '89ab', 'cdef'),
      slowPieces(300, '0123456789', 'abc'),
    ]) {
      const key = `lim-${Math.random().toString(36).slice(2)}`;
      const res = await get(`/r?key=${key}`, { method: 'POST', body, duplex: 'half' } as RequestInit);
      expect(res.status).not.toBe(200);
      expect((await seenBy(key)).state).not.toBe('complete');
    }
  });

  it('leaves the body for the handlers after it (header before reverse_proxy)', async () => {
    const get = serve(
      `:80 {\n\trequest_header X-Seen "{http.request.body}"\n\treverse_proxy 127.0.0.1:${ports.echo[0]}\n}\n`,
    );
    const res = await get('/p', { method: 'POST', body: 'payload' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.text) as { body: string; headers: Record<string, string> };
    expect(seen.headers['x-seen']).toBe('payload');
    expect(seen.body).toBe('payload');
  });
});
