import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { ConfigStore } from '../../durable/config-store.ts';
import { reportServedVersion, syncDeployed } from '../../src/config/deployed.ts';

// The deployed config (baked by `gatehouse deploy`/`selfhost`, or the bundled Caddyfile) against the versions loaded
// through the admin API. Each isolate syncs its deployed config with the store as it starts: these tests are
// isolates starting (a restart, a redeploy) against one store each.

const ns = (env as unknown as { CONFIG_STORE: DurableObjectNamespace<ConfigStore> }).CONFIG_STORE;
let stores = 0;
const freshStore = () => ns.get(ns.idFromName(`lifecycle-${++stores}`));
const config = (body: string) =>
  JSON.stringify({
    apps: {
      http: { servers: { srv0: { listen: [':80'], routes: [{ handle: [{ handler: 'static_response', body }] }] } } },
    },
  });
const bodyOf = (json: string | undefined) =>
  json ? JSON.parse(json).apps.http.servers.srv0.routes[0].handle[0].body : undefined;

describe('deployed config and admin-loaded versions', () => {
  it('a restart with a changed config serves the new one', async () => {
    const store = freshStore();
    expect(bodyOf((await syncDeployed(store, { json: config('A') })).active?.json)).toBe('A');
    expect(bodyOf((await syncDeployed(store, { json: config('A') })).active?.json)).toBe('A');
    const after = await syncDeployed(store, { json: config('B') });
    expect(bodyOf(after.active?.json)).toBe('B');
    expect(after.deployed).toBe(after.active?.id);
  });

  it('a redeploy with a changed config wins; an isolate of the older deploy starting late does not undo it', async () => {
    const store = freshStore();
    await syncDeployed(store, { json: config('v1'), deployedAt: 1000 });
    expect(bodyOf((await syncDeployed(store, { json: config('v2'), deployedAt: 2000 })).active?.json)).toBe('v2');
    expect(bodyOf((await syncDeployed(store, { json: config('v1'), deployedAt: 1000 })).active?.json)).toBe('v2');
  });

  it('an admin-loaded version stays active across a redeploy of the same config', async () => {
    const store = freshStore();
    await syncDeployed(store, { json: config('base') });
    expect((await store.load({ json: config('admin') })).ok).toBe(true);
    const after = await syncDeployed(store, { json: config('base') });
    expect(bodyOf(after.active?.json)).toBe('admin');
    expect(after.deployed).not.toBe(after.active?.id);
  });

  it('a redeploy with a changed config replaces an admin-loaded version, which stays in the history', async () => {
    const store = freshStore();
    await syncDeployed(store, { json: config('base') });
    await store.load({ json: config('admin') });
    const after = await syncDeployed(store, { json: config('new base') });
    expect(bodyOf(after.active?.json)).toBe('new base');
    const versions = await store.versions();
    expect(versions.length).toBe(3);
  });

  it('the first deploy recorded in a store already serving a version leaves that version serving', async () => {
    const store = freshStore();
    await store.load({ json: config('loaded first') });
    const after = await syncDeployed(store, { json: config('deployed') });
    expect(bodyOf(after.active?.json)).toBe('loaded first');
    expect(bodyOf((await store.version(after.deployed!))?.json)).toBe('deployed');
  });

  it('logs once per version that serves instead of the deployed config', async () => {
    const store = freshStore();
    await syncDeployed(store, { json: config('deployed') });
    await store.load({ json: config('loaded') });
    const snapshot = await store.snapshot();
    const log = vi.fn();
    reportServedVersion(snapshot, log);
    reportServedVersion(snapshot, log);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(
      new RegExp(
        `serving config version ${snapshot.active!.id}\\b.*not the deployed config \\(version ${snapshot.deployed}\\)`,
      ),
    );
    reportServedVersion(await syncDeployed(freshStore(), { json: config('only deployed') }), log);
    expect(log).toHaveBeenCalledTimes(1);
  });
});
