import { describe, expect, it } from 'vitest';
import { minimalCaddyfile } from '../bench/caddyfiles.ts';
import { freePort, startGatehouse } from '../bench/servers.ts';
import { measureDownload, measureUpload, startStreamUpstream } from '../bench/stream.ts';

// Issues 4 and 9: bodies stream through reverse_proxy in both directions. Gatehouse runs under workerd (the
// self-hosted build) and workerd's resident memory is sampled while 128 MiB go each way: a buffered body would
// raise it by at least that much.

const MB = 128;
const MiB = 1024 * 1024;

describe('streaming through reverse_proxy', () => {
  it(`passes a ${MB} MiB download and upload with flat memory`, { timeout: 120_000 }, async () => {
    const upPort = await freePort();
    const upstream = await startStreamUpstream(upPort);
    const port = await freePort();
    const gatehouse = await startGatehouse(minimalCaddyfile(port, upPort), port);
    try {
      await measureDownload(gatehouse.pid, `http://127.0.0.1:${port}/download/1`); // warm-up
      const down = await measureDownload(gatehouse.pid, `http://127.0.0.1:${port}/download/${MB}`);
      expect(down.bytes).toBe(MB * MiB);
      expect(down.peakRss - down.baselineRss).toBeLessThan(MB * MiB * 0.5);
      const up = await measureUpload(gatehouse.pid, `http://127.0.0.1:${port}/upload`, MB);
      expect(up.bytes).toBe(MB * MiB);
      expect(up.peakRss - up.baselineRss).toBeLessThan(MB * MiB * 0.5);
    } finally {
      await gatehouse.stop();
      upstream.close();
    }
  });
});
