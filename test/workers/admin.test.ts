import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';

// The admin API and staged rollout, driven through the Worker's own fetch handler with a real ConfigStore
// Durable Object (SQLite storage) behind it.

const TOKEN = 'test-admin-token';
const ADMIN = 'http://gw.test/gatehouse-admin';
const testEnv = { ...env, ADMIN_TOKEN: TOKEN, CONFIG_REFRESH_MS: '0' } as unknown as Record<string, unknown>;
const exec = {
  waitUntil: (_p: Promise<unknown>) => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;

async function call(
  path: string,
  init: RequestInit = {},
  token: string | null = TOKEN,
  e = testEnv,
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  return worker.fetch(new Request(ADMIN + path, { ...init, headers }) as never, e as never, exec);
}

const caddyfile = (body: string) => `:80 {\n\trespond "${body}"\n}\n`;
const load = (text: string, headers: Record<string, string> = {}) =>
  call('/load', { method: 'POST', body: text, headers: { 'Content-Type': 'text/caddyfile', ...headers } });

async function served(ip: string): Promise<string> {
  const res = await worker.fetch(
    new Request('http://site.test/', { headers: { 'CF-Connecting-IP': ip } }) as never,
    testEnv as never,
    exec,
  );
  return res.text();
}

describe('admin API', () => {
  it('is absent without the ADMIN_TOKEN secret', async () => {
    const noAdmin = { ...testEnv, ADMIN_TOKEN: undefined };
    const res = await call('/config/', {}, TOKEN, noAdmin);
    expect(res.status).not.toBe(401);
    expect(res.headers.get('Content-Type') ?? '').not.toContain('application/json');
  });

  it('rejects a missing or wrong token with 401', async () => {
    expect((await call('/config/', {}, null)).status).toBe(401);
    expect((await call('/config/', {}, 'nope')).status).toBe(401);
  });

  it('loads a Caddyfile, lists versions, rolls out to about 10% sticky, promotes and rolls back', async () => {
    expect((await load(caddyfile('one'))).status).toBe(200);
    expect(await served('203.0.113.1')).toBe('one');

    const versions = (await (await call('/config/versions')).json()) as {
      active: number;
      versions: Array<{ id: number }>;
    };
    const first = versions.active;
    expect(versions.versions.map((v) => v.id)).toContain(first);

    const rollout = await call('/config/rollout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ caddyfile: caddyfile('two'), percent: 10 }),
    });
    expect(rollout.status).toBe(200);

    const ips = Array.from({ length: 1000 }, (_, i) => `198.51.${Math.floor(i / 250)}.${i % 250}`);
    const firstPass = await Promise.all(ips.map(served));
    const onCandidate = firstPass.filter((b) => b === 'two').length;
    expect(onCandidate).toBeGreaterThan(60);
    expect(onCandidate).toBeLessThan(140);
    expect(firstPass.every((b) => b === 'one' || b === 'two')).toBe(true);
    // Sticky: every client sees the same version again.
    expect(await Promise.all(ips.map(served))).toEqual(firstPass);

    expect((await call('/config/promote', { method: 'POST' })).status).toBe(200);
    expect(new Set(await Promise.all(ips.slice(0, 50).map(served)))).toEqual(new Set(['two']));

    expect((await call('/config/rollback', { method: 'POST' })).status).toBe(200);
    expect(await served('203.0.113.9')).toBe('one');

    const after = (await (await call('/config/versions')).json()) as { active: number };
    expect(after.active).toBe(first);
  });

  it('refuses a bad Caddyfile with its line number and keeps the active config', async () => {
    await load(caddyfile('kept'));
    const res = await load(':80 {\n\trespond "x"\n\tnot_a_directive foo\n}\n');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/Caddyfile:3/);
    expect(body.error).toMatch(/not_a_directive/);
    expect(await served('192.0.2.1')).toBe('kept');
  });

  it('answers GET /config/ with an Etag and enforces If-Match (412 on conflict)', async () => {
    await load(caddyfile('etag'));
    const res = await call('/config/');
    expect(res.status).toBe(200);
    const etag = res.headers.get('Etag')!;
    expect(etag).toMatch(/^"\/config\/ [0-9a-f]+"$/);
    const config = (await res.json()) as { apps: unknown };
    expect(config.apps).toBeDefined();

    const ok = await load(caddyfile('etag2'), { 'If-Match': etag });
    expect(ok.status).toBe(200);
    const stale = await load(caddyfile('etag3'), { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(await served('192.0.2.2')).toBe('etag2');
  });

  it('adapts without loading', async () => {
    const res = await call('/adapt', {
      method: 'POST',
      body: caddyfile('adapt-only'),
      headers: { 'Content-Type': 'text/caddyfile' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { apps: { http: unknown } } };
    expect(body.result.apps.http).toBeDefined();
  });
});

const json = (value: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(value),
});
const state = async () =>
  (await (await call('/config/versions')).json()) as {
    active: number;
    candidate: number | null;
    deployed: number | null;
    versions: Array<{ id: number }>;
  };
const etag = async () => (await call('/config/')).headers.get('Etag')!;

describe('admin API concurrency', () => {
  it('lets 50 parallel loads without If-Match all succeed; the last one written is active', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => load(caddyfile(`parallel ${i}`))));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const s = await state();
    expect(s.active).toBe(Math.max(...s.versions.map((v) => v.id)));
    const active = /parallel \d+/.exec(await (await call('/config/')).text())![0];
    expect(await served('192.0.2.50')).toBe(active);
  });

  it('lets exactly one of 5 concurrent rollouts with the same Etag win', async () => {
    await load(caddyfile('base'));
    const tag = await etag();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        call('/config/rollout', {
          ...json({ caddyfile: caddyfile(`canary ${i}`), percent: 10 }),
          headers: { 'Content-Type': 'application/json', 'If-Match': tag },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412]);
  });

  it('refuses a stale Etag reused on rollout, promote and rollback (412)', async () => {
    await load(caddyfile('stale base'));
    const tag = await etag();
    const withTag = (body: unknown) => ({
      ...json(body),
      headers: { 'Content-Type': 'application/json', 'If-Match': tag },
    });
    expect((await call('/config/rollout', withTag({ caddyfile: caddyfile('stale canary'), percent: 50 }))).status).toBe(
      200,
    );
    expect(
      (await call('/config/rollout', withTag({ caddyfile: caddyfile('stale canary 2'), percent: 50 }))).status,
    ).toBe(412);
    expect((await call('/config/promote', withTag({}))).status).toBe(412);
    expect((await call('/config/rollback', withTag({}))).status).toBe(412);
    expect((await call('/config/promote', { method: 'POST', headers: { 'If-Match': await etag() } })).status).toBe(200);
  });
});

describe('admin API secrets', () => {
  const secretEnv = { ...testEnv, METRICS_TOKEN: 'metrics-secret-value' };
  it('does not expand ADMIN_TOKEN or METRICS_TOKEN in /adapt', async () => {
    const res = await call(
      '/adapt',
      {
        method: 'POST',
        body: caddyfile('{$ADMIN_TOKEN} {$METRICS_TOKEN}'),
        headers: { 'Content-Type': 'text/caddyfile' },
      },
      TOKEN,
      secretEnv,
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('metrics-secret-value');
  });

  it('does not reveal them through a loaded config, by {$VAR} or {env.VAR}', async () => {
    const body = caddyfile('a={$ADMIN_TOKEN} b={env.ADMIN_TOKEN} c={env.METRICS_TOKEN}');
    const res = await call(
      '/load',
      { method: 'POST', body, headers: { 'Content-Type': 'text/caddyfile' } },
      TOKEN,
      secretEnv,
    );
    expect(res.status).toBe(200);
    const page = await worker.fetch(new Request('http://site.test/') as never, secretEnv as never, exec);
    expect(await page.text()).toBe('a= b= c=');
  });
});

describe('admin API rollback and unchanged configs', () => {
  it('aborts a rollout on rollback, leaving the stable version active; a second rollback steps back', async () => {
    await load(caddyfile('older'));
    await load(caddyfile('stable'));
    const stable = (await state()).active;
    expect((await call('/config/rollout', json({ caddyfile: caddyfile('canary'), percent: 50 }))).status).toBe(200);
    const aborted = await call('/config/rollback', { method: 'POST' });
    expect(aborted.status).toBe(200);
    expect((await aborted.json()) as object).toMatchObject({ active: stable, candidate: null });
    const ips = Array.from({ length: 40 }, (_, i) => `198.18.0.${i}`);
    expect(new Set(await Promise.all(ips.map(served)))).toEqual(new Set(['stable']));

    expect((await call('/config/rollback', { method: 'POST' })).status).toBe(200);
    expect(await served('198.18.0.1')).toBe('older');
    expect((await call('/config/rollback', json({ version: stable }))).status).toBe(200);
    expect(await served('198.18.0.1')).toBe('stable');
  });

  it('answers "unchanged" to an identical config and stores no new version', async () => {
    await load(caddyfile('same'));
    const before = await state();
    const res = await load(caddyfile('same'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'unchanged', version: before.active });
    const after = await state();
    expect(after.versions.length).toBe(before.versions.length);
    expect(after.active).toBe(before.active);
    // The bundled config, recorded as deployed when this isolate first read the store, is not the one serving.
    expect(after.deployed).toEqual(expect.any(Number));
    expect(after.deployed).not.toBe(after.active);
  });
});
