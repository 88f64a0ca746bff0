import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { bundledCaddyfile, preAdaptedCaddyfile } from '../../src/config/bundled.ts';

// The bundled Caddyfile's JSON comes from the build (scripts/pre-adapt-caddyfile.mjs, run for this pool by
// test/workers/pre-adapt-setup.ts) when it has no {$VAR} placeholders, as the default one has none.
describe('bundled Caddyfile', () => {
  it('is served from its build-time JSON, the same the Worker would adapt', () => {
    expect(bundledCaddyfile).not.toMatch(/\{\$[^}]/);
    expect(preAdaptedCaddyfile()).toEqual(adaptCaddyfile(bundledCaddyfile, { filename: 'Caddyfile', env: {} }).config);
  });
});
