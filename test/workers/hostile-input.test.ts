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

  for (const host of [
    '127.0.0.1/api',
    '127.0.0.1\\api',
    '127.0.0.1:8080/api',
    'x?',
    'a b',
    'user@127.0.0.1',
    '127.0.0.1:99999',
    '127.0.0.1:8x',
    '',
    'a%41.test',
  ]) {
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

  // A percent escape (refused by the grammar, which the URL parser would decode) that decodes to a character no
  // host may hold: the runtime's URL string does not parse either (a Request cannot be built from it here, so the
  // Worker gets what workerd hands it).
  for (const host of ['a%2f', 'a%00', 'a%20b']) {
    it(`Host ${JSON.stringify(host)} whose URL does not parse is a 400, not a 500`, async () => {
      const request = {
        url: `http://${host}/admin`,
        method: 'GET',
        headers: new Headers({ Host: host }),
      } as unknown as Request;
      const res = await fetchWorker(request, env);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('400 Bad Request: malformed Host header');
    });
  }

  it('the /api route does not see a request for /admin through the Host', async () => {
    const res = await fetchWorker(
      new Request('http://127.0.0.1/api/admin', { headers: { Host: '127.0.0.1/api' } }),
      env,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('api');
  });

  for (const host of ['example.com', 'example.com:8080', '127.0.0.1', '[::1]:80', 'example.com:']) {
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
    const res = await fetchWorker(wire('gw.test/x', '/gatehouse-admin/config'), {
      ...env,
      ADMIN_TOKEN: 'secret-token-1234567890',
    });
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
	handle /n* {
		header "{http.request.uri.query.n}" named
		header -"{http.request.uri.query.d}"
		respond "named"
	}
	handle /un* {
		reverse_proxy 127.0.0.1:${ports.echo[0]} {
			header_up "{http.request.uri.query.n}" named
		}
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

  // Go leaves a response field whose name is not a token out; its transport refuses one bound upstream.
  for (const n of ['a%20b', 'a:b', 'a%0d%0ab', '']) {
    it(`header {query n} with n=${JSON.stringify(n)} is 200 without the field`, async () => {
      const res = await get(`/n?n=${n}&d=${n}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('named');
      const names: string[] = [];
      res.headers.forEach((_v, k) => {
        names.push(k);
      });
      expect(names.filter((k) => k !== 'content-type' && k !== 'content-length')).toEqual([]);
    });
    it(`header_up {query n} with n=${JSON.stringify(n)} is 502`, async () => {
      expect((await get(`/un?n=${n}`)).status).toBe(502);
    });
  }

  it('a field named from the query with a valid name is written', async () => {
    const res = await get('/n?n=X-Ok');
    expect(res.headers.get('x-ok')).toBe('named');
  });

  it('request_header with CR/LF is 200 (the value kept with spaces)', async () => {
    const res = await get('/rq?q=a%0d%0ab');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('a  b');
  });
});

// The server options trusted_proxies / client_ip_headers / trusted_proxies_strict (Caddy 2.7+'s
// determineTrustedProxy). The peer is CF-Connecting-IP, as the edge (or the local front) sets it.
describe('client_ip behind trusted proxies', () => {
  const ports = inject('proxyUpstreams');
  const site = `
:80 {
	@inside client_ip 192.0.2.0/24
	@peer remote_ip 10.0.0.0/8
	handle /up {
		reverse_proxy 127.0.0.1:${ports.echo[0]}
	}
	handle {
		respond @inside "inside {client_ip} {http.vars.trusted_proxy}"
		respond @peer "peer {client_ip} {http.vars.trusted_proxy}"
		respond "outside {client_ip} {http.vars.trusted_proxy}"
	}
}
`;
  const envWith = (options: string) => ({
    GATEHOUSE_CONFIG: configJson(`{\n\tservers {\n${options}\n\t}\n}\n${site}`),
  });
  const plain = { GATEHOUSE_CONFIG: configJson(site) };
  const trusted = envWith('\t\ttrusted_proxies static 10.0.0.0/8');
  const strict = envWith('\t\ttrusted_proxies static 10.0.0.0/8 192.0.2.200\n\t\ttrusted_proxies_strict');
  const realIp = envWith('\t\ttrusted_proxies static private_ranges\n\t\tclient_ip_headers X-Real-IP X-Forwarded-For');
  const cloudflare = envWith('\t\ttrusted_proxies cloudflare {\n\t\t\tinterval 12h\n\t\t}');

  const ask = (env: Record<string, string>, peer: string, headers: Record<string, string>, path = '/') =>
    fetchWorker(wire('example.com', path, { 'CF-Connecting-IP': peer, ...headers }), env);

  const table: Array<[string, Record<string, string>, string, Record<string, string>, string]> = [
    [
      'no trusted_proxies: a spoofed XFF is ignored',
      plain,
      '203.0.113.7',
      { 'X-Forwarded-For': '192.0.2.1' },
      'outside 203.0.113.7 false',
    ],
    [
      'untrusted peer: a spoofed XFF is ignored',
      trusted,
      '203.0.113.7',
      { 'X-Forwarded-For': '192.0.2.1' },
      'outside 203.0.113.7 false',
    ],
    [
      'trusted peer: the leftmost XFF entry',
      trusted,
      '10.1.2.3',
      { 'X-Forwarded-For': '192.0.2.1, 10.0.0.9' },
      'inside 192.0.2.1 true',
    ],
    ['trusted peer without XFF: the peer', trusted, '10.1.2.3', {}, 'peer 10.1.2.3 true'],
    [
      'trusted peer: invalid entries skipped, port and zone dropped, canonical form',
      trusted,
      '10.1.2.3',
      { 'X-Forwarded-For': 'junk, 01.2.3.4, [2001:DB8:0:0::1%eth0]:443' },
      'peer 2001:db8::1 true',
    ],
    [
      'trusted peer: an IPv4 entry with a port',
      trusted,
      '10.1.2.3',
      { 'X-Forwarded-For': '192.0.2.9:5555' },
      'inside 192.0.2.9 true',
    ],
    [
      'trusted peer: nothing valid, the peer',
      trusted,
      '10.1.2.3',
      { 'X-Forwarded-For': 'unknown' },
      'peer 10.1.2.3 true',
    ],
    [
      'strict: right to left, the first untrusted entry',
      strict,
      '10.1.2.3',
      { 'X-Forwarded-For': '198.51.100.66, 192.0.2.7, 192.0.2.200, 10.0.0.9' },
      'inside 192.0.2.7 true',
    ],
    [
      'strict: every entry trusted, the peer',
      strict,
      '10.1.2.3',
      { 'X-Forwarded-For': '10.0.0.1, 192.0.2.200' },
      'peer 10.1.2.3 true',
    ],
    [
      'client_ip_headers: the first header that has a valid address',
      realIp,
      '10.9.9.9',
      { 'X-Real-IP': '192.0.2.77', 'X-Forwarded-For': '198.51.100.1' },
      'inside 192.0.2.77 true',
    ],
    [
      'client_ip_headers: falls through to the next header',
      realIp,
      '10.9.9.9',
      { 'X-Forwarded-For': '192.0.2.78' },
      'inside 192.0.2.78 true',
    ],
    [
      'cloudflare: a Cloudflare IPv4 peer is trusted',
      cloudflare,
      '172.64.1.2',
      { 'X-Forwarded-For': '192.0.2.5' },
      'inside 192.0.2.5 true',
    ],
    [
      'cloudflare: a Cloudflare IPv6 peer is trusted',
      cloudflare,
      '2606:4700::6810:1',
      { 'X-Forwarded-For': '192.0.2.6' },
      'inside 192.0.2.6 true',
    ],
    [
      'cloudflare: any other peer is not',
      cloudflare,
      '10.1.2.3',
      { 'X-Forwarded-For': '192.0.2.7' },
      'peer 10.1.2.3 false',
    ],
  ];
  for (const [name, env, peer, headers, want] of table) {
    it(name, async () => {
      const res = await ask(env, peer, headers);
      expect(await res.text()).toBe(want);
    });
  }

  type Echo = { headers: Record<string, string> };
  it('reverse_proxy replaces the XFF of an untrusted peer with the peer', async () => {
    const res = await ask(
      trusted,
      '203.0.113.7',
      { 'X-Forwarded-For': '192.0.2.1', 'X-Forwarded-Host': 'evil.test' },
      '/up',
    );
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7');
    expect(echo.headers['x-forwarded-host']).toBe('example.com');
  });

  it("reverse_proxy appends the peer to a trusted proxy's XFF (server trusted_proxies)", async () => {
    const res = await ask(
      trusted,
      '10.1.2.3',
      { 'X-Forwarded-For': '192.0.2.1', 'X-Forwarded-Host': 'app.test' },
      '/up',
    );
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-forwarded-for']).toBe('192.0.2.1, 10.1.2.3');
    expect(echo.headers['x-forwarded-host']).toBe('app.test');
  });

  it('a server without trusted_proxies sends the peer alone upstream', async () => {
    const res = await ask(plain, '10.1.2.3', { 'X-Forwarded-For': '192.0.2.1' }, '/up');
    expect(((await res.json()) as Echo).headers['x-forwarded-for']).toBe('10.1.2.3');
  });
});
