import { beforeEach, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { clearAssetCache } from '../../src/http/assets/lookup.ts';

// file_server, try_files and the file matcher over an ASSETS binding that answers as workerd's disk service does
// (the local runtimes' binding): files with Content-Length and Last-Modified, directories as a JSON listing,
// 404 otherwise, Range honoured. test/node/static-files.test.ts runs the real disk service.

const MODIFIED = 'Fri, 04 Dec 2026 12:00:00 GMT';
const FILES: Record<string, string> = {
  '/index.html': '<h1>home</h1>',
  '/app.js': 'console.log(1)',
  '/app.js.br': 'BROTLI',
  '/docs/index.html': 'docs home',
  '/docs/guide.html': 'guide',
  '/secret.env': 'TOKEN=1',
  '/Caddyfile': ':80',
  '/404.html': 'custom not found',
  '/big.txt': '0123456789',
  '/small.txt': '0',
};

function diskService(calls: string[] = []) {
  return {
    async fetch(req: Request): Promise<Response> {
      const path = decodeURIComponent(new URL(req.url).pathname);
      calls.push(`${req.method} ${path}`);
      const key = path.replace(/\/+$/, '') || '/';
      const isDir = key === '/' || Object.keys(FILES).some((f) => f.startsWith(`${key}/`));
      if (isDir)
        return new Response('[]', { headers: { 'content-type': 'application/json', 'last-modified': MODIFIED } });
      const body = FILES[key];
      if (body === undefined) return new Response('Not Found', { status: 404 });
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.get('range') ?? '');
      const part = range ? body.slice(Number(range[1]), Number(range[2]) + 1) : body;
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(part.length),
        'last-modified': MODIFIED,
      };
      return new Response(req.method === 'HEAD' ? null : part, { status: range ? 206 : 200, headers });
    },
  };
}

function site(caddyfile: string, calls?: string[]) {
  const { config } = adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} });
  const compiled = compileConfig(config);
  const env = { ASSETS: diskService(calls) };
  return (path: string, init?: RequestInit) => compiled.serve(new Request(`http://localhost${path}`, init), env);
}

beforeEach(() => clearAssetCache());

describe('file_server on static assets', () => {
  it('serves files with a type by extension, an ETag, and 304 for a matching If-None-Match', async () => {
    const get = site(':80 {\n\troot * ./public\n\tfile_server\n}\n');
    const res = await get('/app.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('console.log(1)');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-z]+"$/);
    const again = await get('/app.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await get('/app.js', { headers: { 'if-modified-since': MODIFIED } })).status).toBe(304);
    const part = await get('/big.txt', { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('234');
  });

  it('serves a directory index, redirecting to the trailing slash; a file with one is missing; any method gets the file', async () => {
    const get = site(':80 {\n\tfile_server\n}\n');
    expect(await (await get('/')).text()).toBe('<h1>home</h1>');
    // as Caddy 2.6.2 answers: the query is dropped, Go's redirect body; a file named with a slash is missing
    const dir = await get('/docs?x=1');
    expect(dir.status).toBe(308);
    expect(dir.headers.get('location')).toBe('/docs/');
    expect(await dir.text()).toBe('<a href="/docs/">Permanent Redirect</a>.\n\n');
    expect(await (await get('/docs/')).text()).toBe('docs home');
    expect((await get('/docs/guide.html/')).status).toBe(404);
    const post = await get('/docs/guide.html', { method: 'POST', body: 'x' });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe('guide');
    expect((await get('//evil.example')).headers.get('location') ?? '').not.toMatch(/^\/\//);
  });

  it('hides the Caddyfile and hidden patterns (404), and a missing file is a 404 error for handle_errors', async () => {
    const get = site(
      ':80 {\n\tfile_server {\n\t\thide *.env\n\t}\n\thandle_errors {\n\t\trespond "error {err.status_code}"\n\t}\n}\n',
    );
    expect(await (await get('/Caddyfile')).text()).toBe('error 404');
    expect(await (await get('/secret.env')).text()).toBe('error 404');
    expect(await (await get('/nope.html')).text()).toBe('error 404');
    expect((await get('/docs/guide.html')).status).toBe(200);
  });

  it('handle_errors can serve an error page with the error status', async () => {
    const get = site(
      ':80 {\n\tfile_server\n\thandle_errors {\n\t\trewrite * /{err.status_code}.html\n\t\tfile_server\n\t}\n}\n',
    );
    const res = await get('/missing');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('custom not found');
  });

  it('pass_thru hands a missing file to the next handler; index and status are honoured', async () => {
    const get = site(
      ':80 {\n\troute {\n\t\tfile_server {\n\t\t\tpass_thru\n\t\t\tindex guide.html\n\t\t}\n\t\trespond "api"\n\t}\n}\n',
    );
    expect(await (await get('/api/users')).text()).toBe('api');
    expect(await (await get('/docs/')).text()).toBe('guide');
    const status = site(':80 {\n\tfile_server {\n\t\tstatus 203\n\t}\n}\n');
    expect((await status('/app.js')).status).toBe(203);
  });

  it('serves a precompressed sibling when the client accepts it, with Vary', async () => {
    const get = site(':80 {\n\tfile_server {\n\t\tprecompressed br\n\t}\n}\n');
    const br = await get('/app.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const plain = await get('/app.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe('console.log(1)');
  });

  it('refuses browse, as nothing can list the assets', () => {
    const cfg = {
      apps: {
        http: { servers: { s: { listen: [':80'], routes: [{ handle: [{ handler: 'file_server', browse: {} }] }] } } },
      },
    };
    expect(() => compileConfig(cfg)).toThrow(/browse is valid in Caddy but not supported by Gatehouse/);
  });
});

describe('try_files and the file matcher', () => {
  it('SPA: try_files {path} /index.html serves files as they are and the app for the rest', async () => {
    const get = site(':80 {\n\troot * ./public\n\ttry_files {path} /index.html\n\tfile_server\n}\n');
    expect(await (await get('/app.js')).text()).toBe('console.log(1)');
    expect(await (await get('/users/42')).text()).toBe('<h1>home</h1>');
  });

  it('sets the file placeholders, honours split_path and the size policies', async () => {
    const get = site(
      ':80 {\n\t@f file {\n\t\ttry_files /nope {path}.html {path}\n\t\tsplit_path .html\n\t}\n' +
        '\trespond @f "{http.matchers.file.relative} {http.matchers.file.absolute} {http.matchers.file.type} [{http.matchers.file.remainder}]"\n' +
        '\t@small file small.txt big.txt {\n\t\ttry_policy smallest_size\n\t}\n\trespond @small "{file_match.relative}"\n\trespond "none"\n}\n',
    );
    expect(await (await get('/docs/guide')).text()).toBe('/docs/guide.html /docs/guide.html file []');
    expect(await (await get('/docs/guide.html/extra')).text()).toBe(
      '/docs/guide.html /docs/guide.html file [/extra.html]',
    );
    expect(await (await get('/zzz')).text()).toBe('/small.txt');
  });

  it('caches lookups briefly per isolate', async () => {
    const calls: string[] = [];
    const get = site(':80 {\n\ttry_files {path} /index.html\n\trespond "{http.matchers.file.relative}"\n}\n', calls);
    await get('/x');
    await get('/x');
    expect(calls.filter((c) => c === 'HEAD /x')).toHaveLength(1);
  });

  it('refuses most_recently_modified, which the edge cannot know', () => {
    const cfg = {
      apps: {
        http: {
          servers: {
            s: { listen: [':80'], routes: [{ match: [{ file: { try_policy: 'most_recently_modified' } }] }] },
          },
        },
      },
    };
    expect(() => compileConfig(cfg)).toThrow(/most_recently_modified is valid in Caddy but not supported/);
    expect(() =>
      adaptCaddyfile(':80 {\n\ttry_files {path} /index.html {\n\t\tpolicy most_recently_modified\n\t}\n}\n', {
        filename: 'Caddyfile',
        env: {},
      }),
    ).toThrow(
      /Caddyfile:3 - Error during parsing: valid in Caddy but not supported by Gatehouse: try policy most_recently_modified/,
    );
  });
});
