import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('the Worker answers', async () => {
  const res = await SELF.fetch('http://example.com/');
  expect(res.status).toBeGreaterThan(0);
});
