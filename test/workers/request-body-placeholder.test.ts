import { inject, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';

// {http.request.body}: read whole before the handler that names it, as Caddy 2.6.2's replacer does, bounded by
// request_body max_size (Caddy keeps the bytes up to the limit) or by 1 MiB without one.

const ports = inject('proxyUpstreams');

function serve(caddyfile: string) {
  const config = compileConfig(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
  return async (path: string, init?: RequestInit) => {
    const res = await config.serve(new Request(`http://gw.test${path}`, init), {});
    return { status: res.status, text: await res.text() };
  };
}

describe('{http.request.body}', () => {
  const site = `:80 {\n\trequest_body /lim* {\n\t\tmax_size 10\n\t}\n\trespond "got [{http.request.body}] again [{http.request.body}]"\n}\n`;

  it('is the whole body, the same on every use', async () => {
    const get = serve(site);
    expect(await get('/x', { method: 'POST', body: 'hello' })).toEqual({ status: 200, text: 'got [hello] again [hello]' });
    expect(await get('/x')).toEqual({ status: 200, text: 'got [] again []' });
  });

  it('keeps the bytes up to request_body max_size, as Caddy does, instead of failing', async () => {
    const get = serve(site);
    expect(await get('/lim', { method: 'POST', body: '0123456789abcdefghij' })).toEqual({ status: 200, text: 'got [0123456789] again [0123456789]' });
    expect(await get('/lim', { method: 'POST', body: '0123456789' })).toEqual({ status: 200, text: 'got [0123456789] again [0123456789]' });
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (const part of ['0123', '4567', '89ab', 'cdef']) c.enqueue(new TextEncoder().encode(part));
        c.close();
      },
    });
    expect(await get('/lim', { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)).toEqual({ status: 200, text: 'got [0123456789] again [0123456789]' });
  });

  it('reads at most 1 MiB without request_body', async () => {
    const get = serve(`:80 {\n\trespond "{http.request.body}"\n}\n`);
    const res = await get('/', { method: 'POST', body: 'a'.repeat((1 << 20) + 5) });
    expect(res.status).toBe(200);
    expect(res.text.length).toBe(1 << 20);
  });

  it('leaves the body for the handlers after it (header before reverse_proxy)', async () => {
    const get = serve(`:80 {\n\trequest_header X-Seen "{http.request.body}"\n\treverse_proxy 127.0.0.1:${ports.echo[0]}\n}\n`);
    const res = await get('/p', { method: 'POST', body: 'payload' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.text) as { body: string; headers: Record<string, string> };
    expect(seen.headers['x-seen']).toBe('payload');
    expect(seen.body).toBe('payload');
  });
});
