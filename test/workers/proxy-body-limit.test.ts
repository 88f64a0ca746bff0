import { describe, expect, inject, it } from 'vitest';
import { compileConfig } from '../../src/config/compile.ts';
import type { CaddyConfigJSON, HandlerJSON } from '../../src/config/caddy-json.ts';
import type { BodyRecord } from './body-recorder.ts';

// request_body max_size in front of reverse_proxy, against an upstream that records whether each request body
// arrived complete: a body over the limit must never reach it as a complete request.

const ports = inject('proxyUpstreams');
const UP = `127.0.0.1:${ports.bodyRecorder}`;

function serve(handle: HandlerJSON[], req: Request): Promise<Response> {
  const cfg: CaddyConfigJSON = { apps: { http: { servers: { s: { listen: [':443'], routes: [{ handle }] } } } } };
  return compileConfig(cfg).serve(req, {});
}

const limited = (extra: Record<string, unknown> = {}): HandlerJSON[] => [
  { handler: 'request_body', max_size: 10 },
  { handler: 'reverse_proxy', upstreams: [{ dial: UP }], ...extra },
];

/** A body sent in several pieces, with no length known in advance (chunked on the wire). */
function pieces(...parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    async pull(c) {
      if (i < parts.length) {
        await new Promise((r) => setTimeout(r, 10));
        c.enqueue(enc.encode(parts[i++]));
      } else c.close();
    },
  });
}

async function seen(key: string): Promise<BodyRecord> {
  await new Promise((r) => setTimeout(r, 150));
  return (await (await fetch(`http://${UP}/seen?key=${key}`)).json()) as BodyRecord;
}

let n = 0;
const post = (body: BodyInit, headers: Record<string, string> = {}) => {
  const key = `k${++n}-${Math.random().toString(36).slice(2)}`;
  return {
    key,
    req: new Request(`https://h.test/up?key=${key}`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit),
  };
};

/** Proxies `req` and reports what the client got and what the upstream recorded for it. */
async function outcome(handle: HandlerJSON[], body: BodyInit, headers: Record<string, string> = {}) {
  const { key, req } = post(body, headers);
  const res = await serve(handle, req);
  const text = await res.text();
  return { status: res.status, text, upstream: await seen(key) };
}

const complete = (r: BodyRecord) => r.state === 'complete';

describe('request_body max_size before reverse_proxy', () => {
  it('a streamed body within the limit reaches the upstream whole', async () => {
    const r = await outcome(limited(), pieces('aaaaa', 'bbbbb'));
    expect(r.status).toBe(200);
    expect(r.upstream).toEqual({ state: 'complete', bytes: 10 });
  });

  it('a streamed body over the limit: 413, and the upstream request is aborted, not finished short', async () => {
    const r = await outcome(limited(), pieces('aaaaa', 'bbbbb', 'ccccc'));
    expect(r.status).toBe(413);
    expect(complete(r.upstream)).toBe(false);
  });

  it('over the limit in its first piece: 413, and nothing complete upstream', async () => {
    const r = await outcome(limited(), pieces('a'.repeat(1000)));
    expect(r.status).toBe(413);
    expect(complete(r.upstream)).toBe(false);
  });

  it('a declared Content-Length over the limit: 502 as Caddy answers, before any upstream is called', async () => {
    const r = await outcome(limited(), pieces('a'.repeat(500), 'b'.repeat(500)), { 'content-length': '1000' });
    expect(r.status).toBe(502);
    expect(r.upstream.state).toBe('none');
    const within = await outcome(limited(), pieces('aaaaa', 'bbbbb'), { 'content-length': '10' });
    expect(within.status).toBe(200);
    expect(within.upstream).toEqual({ state: 'complete', bytes: 10 });
  });

  it('with retries (the body buffered for a replay): 413, and the upstream never sees it', async () => {
    const r = await outcome(limited({ load_balancing: { retries: 1 } }), pieces('aaaaa', 'bbbbb', 'ccccc'));
    expect(r.status).toBe(413);
    expect(complete(r.upstream)).toBe(false);
  });

  it('past a replay buffer smaller than the body: the rest failing aborts the upstream request', async () => {
    const r = await outcome(limited({ request_buffers: 4 }), pieces('aaaaa', 'bbbbb', 'ccccc'));
    expect(r.status).toBe(413);
    expect(complete(r.upstream)).toBe(false);
    const within = await outcome(limited({ request_buffers: 4 }), pieces('aaaaa', 'bbbbb'));
    expect(within.upstream).toEqual({ state: 'complete', bytes: 10 });
  });

  it('the failed body is not held against the upstream: it stays available', async () => {
    const handle = limited({ health_checks: { passive: { fail_duration: '1m', max_fails: 1 } } });
    expect((await outcome(handle, pieces('aaaaa', 'bbbbb', 'ccccc'))).status).toBe(413);
    expect((await outcome(handle, pieces('aaaaa'))).status).toBe(200);
  });
});

describe('a client body that fails midway', () => {
  it('past a replay buffer, its failure aborts the upstream request instead of ending it', async () => {
    let i = 0;
    const failing = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 10));
        if (i++ < 2) c.enqueue(new TextEncoder().encode('aaaaa'));
        else c.error(new Error('client went away'));
      },
    });
    const r = await outcome([{ handler: 'reverse_proxy', upstreams: [{ dial: UP }], request_buffers: 4 }], failing);
    expect(r.status).toBe(502);
    expect(complete(r.upstream)).toBe(false);
  });
});

describe('an upstream response body that fails midway', () => {
  it('reaches the client as a failing body, not a shorter complete one', async () => {
    for (const lb of [{}, { load_balancing: { selection_policy: { policy: 'least_conn' } } }]) {
      const res = await serve(
        [{ handler: 'reverse_proxy', upstreams: [{ dial: UP }], ...lb }],
        new Request('https://h.test/broken?n=5'),
      );
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    }
  });
});
