import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { configJson, execution } from './execution.ts';

// Requests as workerd hands them to the Worker: request.url is built from the raw Host field, so the URL below is
// what the runtime makes of `Host: <host>` + `GET <path>`.
const { exec } = execution();
const fetchWorker = (request: Request, env: Record<string, unknown>) =>
  (worker.fetch as (r: Request, e: unknown, c: ExecutionContext) => Promise<Response>)(request, env, exec);

function wire(host: string, path: string, headers: Record<string, string> = {}): Request {
  return new Request(`http://${host}${path}`, { headers: { ...headers, Host: host } });
}

describe('Host header validation in the Worker entry', () => {
  const env = {
    GATEHOUSE_CONFIG: configJson(`
:80 {
	handle /admin* {
		basic_auth {
			bob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
		}
		respond "admin area"
	}
	handle_path /api/* {
		respond "api {path}"
	}
	respond "site {host}"
}
`),
  };

  for (const host of ['127.0.0.1/api', '127.0.0.1\\api', '127.0.0.1:8080/api', 'x?', 'a b', 'user@127.0.0.1', '127.0.0.1:99999', '127.0.0.1:8x', '']) {
    it(`Host ${JSON.stringify(host)} is a 400 before any route`, async () => {
      // What workerd makes of it: the Host text glued in front of the path.
      const url = host === '' ? 'http:///admin' : `http://${host.replace(/ /g, '%20')}/admin`;
      let request: Request;
      try {
        request = new Request(url, { headers: { Host: host } });
      } catch {
        // The URL itself does not parse (workerd would not build it either); the Host check alone is tested.
        request = new Request('http://127.0.0.1/admin', { headers: { Host: host } });
      }
      const res = await fetchWorker(request, env);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('400 Bad Request: malformed Host header');
    });
  }

  it('the /api route does not see a request for /admin through the Host', async () => {
    const res = await fetchWorker(new Request('http://127.0.0.1/api/admin', { headers: { Host: '127.0.0.1/api' } }), env);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('api');
  });

  for (const host of ['example.com', 'example.com:8080', '127.0.0.1', '[::1]:80', 'a%41.test', 'example.com:']) {
    it(`Host ${JSON.stringify(host)} is served`, async () => {
      const res = await fetchWorker(wire(host, '/admin'), env);
      expect(res.status).toBe(401);
      const site = await fetchWorker(wire(host, '/x'), env);
      expect(site.status).toBe(200);
      expect(await site.text()).toMatch(/^site /);
    });
  }

  it('a request without a Host field (made in code) is served by its URL', async () => {
    const res = await fetchWorker(new Request('http://example.com/api/v1'), env);
    expect(await res.text()).toBe('api /v1');
  });

  it('the admin API is behind the same check', async () => {
    const res = await fetchWorker(wire('gw.test/x', '/gatehouse-admin/config'), { ...env, ADMIN_TOKEN: 'secret-token-1234567890' });
    expect(res.status).toBe(400);
  });
});
