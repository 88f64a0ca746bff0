import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Two projects: `node` for the pure front end (lexer, parser, adapter, CLI, conformance, parity against real Caddy),
// `workers` for everything that runs in the Worker or a Durable Object (executed inside workerd).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/realworld/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'parity',
          include: ['test/parity/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: [
            'test/workers/workerd-log-setup.ts',
            'test/workers/global-setup.ts',
            'test/workers/pre-adapt-setup.ts',
          ],
        },
      },
    ],
  },
});
