import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compilePolicy, registerPolicy, type PolicyModule } from '../../src/proxy/policies/index.ts';
import { PLAIN } from '../../src/proxy/policies/module.ts';
import type { Upstream } from '../../src/proxy/types.ts';

// The worked example of CONTRIBUTING.md: a policy Caddy does not have, defined in this file and registered with one
// line, is then accepted by the Caddyfile adapter (lb_policy, with its errors at file:line) and by the runtime
// compiler (selection_policy JSON, with its field checks), as the built-in policies are.

interface LastJSON {
  policy: 'last';
  skip?: number;
}

/** `last [<skip>]`: the last available upstream in configuration order, after passing over `skip` of them. */
const lastPolicy: PolicyModule<LastJSON> = {
  name: 'last',
  fields: ['skip'],
  parseCaddyfile(a) {
    if (a.args.length > 1) throw a.argErr();
    return a.args.length ? { skip: a.int(a.args[0], 'skip') } : {};
  },
  compile(json) {
    const skip = json.skip ?? 0;
    return {
      traits: PLAIN,
      select: (pool) => pool.filter((up) => up.available()).reverse()[skip] ?? null,
    };
  },
};

registerPolicy(lastPolicy);

function adaptProxy(lines: string): unknown {
  const text = `example.com {\n\treverse_proxy a:1 b:2 c:3 {\n\t\t${lines}\n\t}\n}\n`;
  const found: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const rec = v as Record<string, unknown>;
      if (rec.handler === 'reverse_proxy')
        found.push((rec.load_balancing as Record<string, unknown> | undefined)?.selection_policy);
      Object.values(rec).forEach(walk);
    }
  };
  walk(adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config);
  expect(found).toHaveLength(1);
  return found[0];
}

function pool(...up: boolean[]): Upstream[] {
  return up.map((available, i) => ({
    dial: `10.0.0.${i + 1}:80`,
    maxRequests: 0,
    host: { numRequests: 0, remoteRequests: 0, failExpiries: [], lastAnswerAt: 0 },
    healthy: () => available,
    available: () => available,
  }));
}

describe('a policy added by one file and one registry line', () => {
  it('is adapted from lb_policy, arguments and as a fallback', () => {
    expect(adaptProxy('lb_policy last')).toEqual({ policy: 'last' });
    expect(adaptProxy('lb_policy last 1')).toEqual({ policy: 'last', skip: 1 });
    expect(adaptProxy('lb_policy header X-Key {\n\t\t\tfallback last\n\t\t}')).toEqual({
      policy: 'header',
      field: 'X-Key',
      fallback: { policy: 'last' },
    });
  });

  it('reports its Caddyfile errors at the lb_policy line', () => {
    expect(() => adaptProxy('lb_policy last 1 2')).toThrow(/Caddyfile:3 .*wrong argument count/);
    expect(() => adaptProxy('lb_policy last x')).toThrow(/Caddyfile:3 .*bad skip value 'x'/);
  });

  it('selects at run time from the JSON the adapter produced', async () => {
    const { select } = compilePolicy(adaptProxy('lb_policy last 1'), 'lb.selection_policy');
    const req = {} as Parameters<typeof select>[1];
    expect((await select(pool(true, true, false), req, { setCookies: [] }))?.dial).toBe('10.0.0.1:80');
    expect(await select(pool(false, false, true), req, { setCookies: [] })).toBeNull();
  });

  it('refuses a JSON field it did not declare, naming the field and the path', () => {
    expect(() =>
      compilePolicy({ policy: 'last', skip: 1, reverse: true }, 'routes.0.handle.0.load_balancing.selection_policy'),
    ).toThrow('selection policy last: unsupported field "reverse"');
    expect(() => compilePolicy({ policy: 'header', field: 'x', fallback: { policy: 'last', nope: 1 } }, 'p')).toThrow(
      /unsupported field "nope"/,
    );
  });

  it('cannot be registered twice', () => {
    expect(() => registerPolicy(lastPolicy)).toThrow(/already registered/);
  });
});

describe('policy traits through fallbacks', () => {
  it('countsLoad comes from the policy that places the request', () => {
    const counts = (json: unknown): boolean => compilePolicy(json, 'p').traits.countsLoad;
    expect(counts(undefined)).toBe(false);
    expect(counts({ policy: 'least_conn' })).toBe(true);
    expect(counts({ policy: 'random_choose' })).toBe(true);
    expect(counts({ policy: 'header', field: 'x' })).toBe(false);
    expect(counts({ policy: 'header', field: 'x', fallback: { policy: 'last' } })).toBe(false);
    expect(counts({ policy: 'query', key: 'k', fallback: { policy: 'random_choose' } })).toBe(true);
    expect(
      counts({ policy: 'cookie', fallback: { policy: 'header', field: 'x', fallback: { policy: 'least_conn' } } }),
    ).toBe(true);
  });
});
