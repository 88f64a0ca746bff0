import { describe, expect, inject, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';

// The Server field. Caddy writes `Server: Caddy` on every response; Gatehouse writes none of its own (see README),
// so a client sees the upstream's Server, changed by `header` ops as Caddy changes it. reverse_proxy follows Caddy
// 2.8+, which drops the Server field written so far and copies the upstream's (2.6.2 kept both).

const ports = inject('proxyUpstreams');
if (!ports)
  throw new Error('loopback upstreams missing: the workers project needs globalSetup test/workers/global-setup.ts');
const UP = `127.0.0.1:${ports.echo[0]}`;

async function serverField(site: string, path: string): Promise<string | null> {
  const { config } = adaptCaddyfile(`:443 {\n${site}\n}\n`, { filename: 'Caddyfile', env: {} });
  const res = await compileConfig(config).serve(new Request(`https://h.test${path}`), {});
  await res.arrayBuffer();
  return res.headers.get('server');
}

describe('Server header', () => {
  it('a proxied response carries the upstream Server and none of Gatehouse', async () => {
    expect(await serverField(`\treverse_proxy ${UP}`, '/')).toBe('echo');
    expect(await serverField('\trespond ok', '/')).toBeNull();
  });

  it('`header -Server` removes the upstream Server too (a delete is deferred until the response exists)', async () => {
    expect(await serverField(`\theader -Server\n\treverse_proxy ${UP}`, '/')).toBeNull();
  });

  it('`header Server x` runs before the proxy, which replaces it with the upstream value', async () => {
    expect(await serverField(`\theader Server mine\n\treverse_proxy ${UP}`, '/')).toBe('echo');
  });

  it('`header Server x` on a response Gatehouse writes itself sets it', async () => {
    expect(await serverField('\theader Server mine\n\trespond ok', '/')).toBe('mine');
  });

  it('`header >Server x` (deferred) replaces the upstream value', async () => {
    expect(await serverField(`\theader >Server mine\n\treverse_proxy ${UP}`, '/')).toBe('mine');
  });
});
