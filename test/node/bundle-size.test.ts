import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMIT_GZIP_BYTES, buildBundle } from '../bench/bundle.ts';

// Issue 9 §4: the deployable bundle (what `wrangler deploy` uploads) stays small; CI fails above 400 KB gzipped.
// `npm run bench` prints the figure against the 200 KB target.

describe('bundle size', () => {
  it('the Worker bundle is under 400 KB gzipped', { timeout: 60_000 }, () => {
    const bundle = buildBundle();
    try {
      expect(bundle.gzipBytes).toBeGreaterThan(10 * 1024); // a real build, not an empty directory
      expect(bundle.gzipBytes).toBeLessThan(BUNDLE_LIMIT_GZIP_BYTES);
    } finally {
      rmSync(bundle.dir, { recursive: true, force: true });
    }
  });
});
