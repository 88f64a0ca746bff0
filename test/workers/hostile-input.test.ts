import { describe, expect, inject, it } from 'vitest';
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

// Caddy 2.6.2's bytes, read off the wire on loopback: `X-Q: a  b` for ?q=a%0d%0ab, `Location: /a  Set-Cookie:x=1`,
// `X-Q: x` for ?q=%0d%0ax%0d%0a (CR/LF become spaces, then the value is trimmed), NUL sent as is (a Worker cannot:
// it is dropped), and 502 when header_up would send CR/LF/NUL upstream (Go's transport refuses the field).
describe('CR, LF and NUL from the request in response and upstream fields', () => {
  const ports = inject('proxyUpstreams');
  const env = {
    GATEHOUSE_CONFIG: configJson(`
:80 {
	handle /h* {
		header X-Q {http.request.uri.query.q}
		header X-P {http.request.uri.path}
		header +X-Add "<{http.request.uri.query.q}>"
		header X-Static ok
		respond "ok"
	}
	handle /d* {
		header >X-Q {http.request.uri.query.q}
		respond "deferred"
	}
	handle /r* {
		redir {http.request.uri.query.to}
	}
	handle /p* {
		reverse_proxy 127.0.0.1:${ports.echo[0]} {
			header_up X-Q {http.request.uri.query.q}
		}
	}
	handle /down* {
		reverse_proxy 127.0.0.1:${ports.echo[0]} {
			header_down X-Down {http.request.uri.query.q}
		}
	}
	handle /rq* {
		request_header X-Q {http.request.uri.query.q}
		respond "{header.X-Q}"
	}
}
`),
  };
  const get = (path: string) => fetchWorker(wire('example.com', path), env);

  // [query value, X-Q, X-Add (the value between < >, so not trimmed)]
  const cases: Array<[string, string, string]> = [
    ['a%0d%0ab', 'a  b', '<a  b>'],
    ['%0d%0ax%0d%0a', 'x', '<  x  >'],
    ['a%0ab', 'a b', '<a b>'],
    ['a%00b', 'ab', '<ab>'],
    ['%0a%00%0d', '', '<  >'],
    ['a%09b', 'a\tb', '<a\tb>'],
  ];
  for (const [q, want, wantAdd] of cases) {
    it(`header X-Q {query q} with q=${q} is 200 with X-Q ${JSON.stringify(want)}`, async () => {
      const res = await get(`/h?q=${q}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
      expect(res.headers.get('x-q')).toBe(want);
      expect(res.headers.get('x-add')).toBe(wantAdd);
      expect(res.headers.get('x-static')).toBe('ok');
    });
  }

  it('a path with %0d%0a copied into a header is 200 with spaces', async () => {
    const res = await get('/h%0d%0ax');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-p')).toBe('/h  x');
  });

  it('a path with %00 copied into a header is 200 without the NUL', async () => {
    const res = await get('/h%00x');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-p')).toBe('/hx');
  });

  it('a deferred header with CR/LF is 200', async () => {
    const res = await get('/d?q=a%0d%0ab');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-q')).toBe('a  b');
  });

  it('redir to a target with CRLF is a 302 whose Location has spaces, no injected field', async () => {
    const res = await get('/r?to=/a%0d%0aSet-Cookie:x=1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/a  Set-Cookie:x=1');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('redir to a target with NUL is a 302', async () => {
    const res = await get('/r?to=/a%00b');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ab');
  });

  for (const q of ['a%0d%0ab', 'a%00b', '%0d%0a']) {
    it(`header_up with q=${q} is Caddy's 502, not a 500`, async () => {
      const res = await get(`/p?q=${q}`);
      expect(res.status).toBe(502);
    });
  }

  it('header_up with a clean value reaches the upstream', async () => {
    const ok = await get('/p?q=fine');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { headers: Record<string, string> }).headers['x-q']).toBe('fine');
  });

  it('header_down with CR/LF is the upstream response with spaces', async () => {
    const res = await get('/down?q=a%0d%0ab');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-down')).toBe('a  b');
  });

  it('request_header with CR/LF is 200 (the value kept with spaces)', async () => {
    const res = await get('/rq?q=a%0d%0ab');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('a  b');
  });
});
