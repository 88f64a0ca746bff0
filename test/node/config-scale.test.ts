import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { scaleCaddyfile } from '../bench/scale.ts';

// A SaaS gateway has thousands of sites: adapting and compiling must grow about linearly with them, and a request
// must cost about the same whatever the number of sites (hosts are looked up, not scanned).

const opts = { filename: 'Caddyfile', env: {} };

function build(routes: number) {
  const t0 = performance.now();
  const config = adaptCaddyfile(scaleCaddyfile(routes), opts).config;
  const compiled = compileConfig(config);
  return { compiled, ms: performance.now() - t0 };
}

async function medianServeUs(compiled: ReturnType<typeof compileConfig>, url: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 1500; i++) {
    const t0 = performance.now();
    const res = await compiled.serve(new Request(url), {}, undefined, { remoteIp: '127.0.0.1' });
    samples.push(performance.now() - t0);
    await res.arrayBuffer();
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] * 1000;
}

describe('config scale', () => {
  it('20,000 routes adapt and compile in about linear time, and serve their last site', async () => {
    build(200); // warm-up: the first adapt also compiles the adapter's code
    const small = build(2000);
    const large = build(20_000);
    // Ten times the sites: about 7x the time here (fixed costs amortise); a scan of the sites per site gave 18x.
    expect(large.ms).toBeLessThan(Math.max(small.ms, 20) * 12);
    expect(large.ms).toBeLessThan(20_000);
    const res = await large.compiled.serve(new Request('http://t17999.example.com:8080/'), {}, undefined, {
      remoteIp: '127.0.0.1',
    });
    expect(await res.text()).toBe('tenant 17999');
    const few = build(200).compiled;
    const manyUs = await medianServeUs(large.compiled, 'http://t9000.example.com:8080/');
    const fewUs = await medianServeUs(few, 'http://t90.example.com:8080/');
    expect(manyUs).toBeLessThan(fewUs * 3 + 5);
  }, 60_000);
});
