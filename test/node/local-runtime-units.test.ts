import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/front/listen-address.ts';
import { checkRequest } from '../../src/cli/front/request-check.ts';
import { localSecrets, parseDevVars } from '../../src/cli/local/secrets.ts';
import { boundNames, referencedEnv } from '../../src/cli/local/runtime-env.ts';
import type { CaddyConfigJSON } from '../../src/config/caddy-json.ts';

describe('--listen', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    [':9000', { host: undefined, port: 9000 }],
    ['*:80', { host: undefined, port: 80 }],
    ['8080', { host: undefined, port: 8080 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
  ])('%s', (flag, want) => expect(parseListen(flag)).toEqual(want));
  it.each(['a:99999', 'a:b', 'a:1:2', '[::1:80', ''])('rejects %j', (flag) =>
    expect(() => parseListen(flag)).toThrow(/--listen/),
  );
});

describe('.dev.vars and the environment', () => {
  it('reads dotenv lines, quotes and comments', () => {
    expect(parseDevVars('# c\nA=1\nexport B = "two words"\nC=\'x # y\'\nD=v # note\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x # y',
      D: 'v',
    });
  });
  it('lets ADMIN_TOKEN and METRICS_TOKEN from the environment win, and passes no other environment variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-devvars-'));
    writeFileSync(join(dir, '.dev.vars'), 'ADMIN_TOKEN=file\nOTHER=x\n');
    expect(localSecrets(dir, { ADMIN_TOKEN: 'env', METRICS_TOKEN: 'm', HOME: '/root' })).toEqual({
      ADMIN_TOKEN: 'env',
      OTHER: 'x',
      METRICS_TOKEN: 'm',
    });
  });
});

describe('{env.NAME} under run and selfhost', () => {
  const config = {
    apps: {
      http: {
        servers: {
          s: {
            routes: [
              {
                handle: [
                  {
                    handler: 'static_response',
                    body: '{env.GREETING} {env.ADMIN_TOKEN} {env.METRICS} {env.UNSET} {env.GREETING}',
                  },
                ],
              },
            ],
          },
        },
      },
    },
  } as CaddyConfigJSON;
  it('passes only the referenced variables, never a secret nor a name a binding has', () => {
    const environment = { GREETING: 'hi', ADMIN_TOKEN: 'secret', METRICS: 'x', HOME: '/root', PATH: '/bin' };
    expect(
      referencedEnv(
        config,
        environment,
        boundNames('[[durable_objects.bindings]]\nname = "METRICS"\nclass_name = "MetricsShard"\n'),
      ),
    ).toEqual({ GREETING: 'hi' });
  });
});

describe('checkRequest', () => {
  const head = (url: string, rawHeaders: string[], method = 'GET') => checkRequest({ method, url, rawHeaders });
  it('takes the host of an absolute-form target, with an origin-form path', () => {
    expect(head('http://b.test', ['Host', 'a'])).toEqual({ ok: true, host: 'b.test', path: '/' });
    expect(head('HTTPS://b.test?q', ['Host', 'a'])).toEqual({ ok: true, host: 'b.test', path: '/?q' });
    expect(head('http://u@b.test/x', ['Host', 'a'])).toMatchObject({ ok: false, status: 400 });
  });
  it("answers OPTIONS * itself, as Go's server does", () => {
    expect(head('*', ['Host', 'a'], 'OPTIONS')).toEqual({ ok: false, status: 200, body: '' });
    expect(head('*', ['Host', 'a'])).toMatchObject({ ok: false, status: 400 });
  });
  it('counts Host fields in any case', () => {
    expect(head('/', ['host', 'a', 'HOST', 'a'])).toMatchObject({ ok: false, status: 400 });
  });
});
