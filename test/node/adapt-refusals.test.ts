import { describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { DEFAULT_DIRECTIVE_ORDER } from '../../src/adapt/order.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import { compileConfig } from '../../src/config/compile.ts';

// What a Caddyfile Caddy accepts may do here: serve (the adapted JSON compiles) or be refused while adapting, with
// file:line and the reason. A successful adapt followed by a compile error is the outcome that must never happen.

/** Directive uses as people write them: each directive Caddy 2.6.2 or HEAD knows, and the notable subdirectives. */
const USES: Record<string, string[]> = {
  map: ['map {path} {v} {\n\t\t/a 1\n\t\tdefault 0\n\t}'],
  vars: ['vars a 1'],
  root: ['root * /srv'],
  fs: ['fs local'],
  tracing: ['tracing'],
  log_append: ['log_append key value', 'log_append <early {path}'],
  log_skip: ['log_skip /health'],
  skip_log: ['skip_log /health'],
  log_name: ['log_name other'],
  header: ['header X-A 1', 'header -Server', 'header {\n\t\t>X-B 2\n\t\tdefer\n\t}'],
  copy_response_headers: ['handle_response {\n\t\t\tcopy_response_headers {\n\t\t\t\tinclude X-A\n\t\t\t}\n\t\t}'],
  request_body: ['request_body {\n\t\tmax_size 1MB\n\t}'],
  timeouts: ['timeouts {\n\t\tread_timeout 5s\n\t}'],
  redir: ['redir /a /b 301'],
  method: ['method POST'],
  rewrite: ['rewrite /a /b'],
  uri: ['uri strip_prefix /api', 'uri replace a b', 'uri path_regexp a b'],
  rate_limit: ['rate_limit {\n\t\tzone z {\n\t\t\tkey {remote_host}\n\t\t\tevents 10\n\t\t\twindow 1m\n\t\t}\n\t}'],
  basicauth: ['basicauth {\n\t\tBob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}'],
  basic_auth: ['basic_auth {\n\t\tBob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}'],
  forward_auth: ['forward_auth auth.internal:9000 {\n\t\turi /verify\n\t\tcopy_headers X-User\n\t}'],
  request_header: ['request_header X-A 1'],
  encode: ['encode gzip zstd', 'encode {\n\t\tgzip 5\n\t\tminimum_length 256\n\t}'],
  push: ['push'],
  intercept: ['intercept {\n\t\t@e status 404\n\t\thandle_response @e {\n\t\t\trespond x\n\t\t}\n\t}'],
  templates: ['templates', 'templates {\n\t\textensions {\n\t\t}\n\t}', 'templates {\n\t\tmime text/html\n\t}'],
  invoke: ['invoke r'],
  handle: ['handle /a* {\n\t\trespond a\n\t}'],
  handle_path: ['handle_path /a* {\n\t\trespond a\n\t}'],
  route: ['route {\n\t\trespond a\n\t}'],
  abort: ['abort /x'],
  error: ['error /x 403'],
  copy_response: ['handle_response {\n\t\t\tcopy_response 200\n\t\t}'],
  respond: ['respond hi 200', 'respond 200 {\n\t\tbody x\n\t\tclose\n\t}'],
  metrics: ['metrics /metrics'],
  reverse_proxy: [
    'reverse_proxy localhost:8080',
    'reverse_proxy :8080',
    'reverse_proxy node-ips:80/api/',
    'reverse_proxy unix//run/app.sock',
    'reverse_proxy udp/dns:53',
    'reverse_proxy a:1 b:2 {\n\t\tlb_policy least_conn\n\t\thealth_uri /h\n\t\tfail_duration 10s\n\t}',
    'reverse_proxy a:1 {\n\t\ttransport http {\n\t\t\tdial_timeout 2s\n\t\t}\n\t}',
    'reverse_proxy a:1 {\n\t\ttransport fastcgi\n\t}',
    'reverse_proxy {\n\t\tdynamic a srv.internal\n\t}',
    'reverse_proxy a:1 {\n\t\t@e status 5xx\n\t\thandle_response @e {\n\t\t\trespond err\n\t\t}\n\t}',
  ],
  php_fastcgi: ['php_fastcgi localhost:9000'],
  acme_server: ['acme_server'],
  file_server: [
    'file_server',
    'file_server browse',
    'file_server {\n\t\thide .git\n\t\tindex index.html\n\t\tpass_thru\n\t}',
  ],
  try_files: [
    'try_files {path} /index.html',
    'try_files {path} {path}/ /index.php {\n\t\tpolicy most_recently_modified\n\t}',
  ],
  handle_errors: ['handle_errors {\n\t\trespond err\n\t}'],
  tls: ['tls internal', 'tls {\n\t\tprotocols tls1.2 tls1.3\n\t}'],
  bind: ['bind 127.0.0.1'],
  log: ['log', 'log {\n\t\toutput stdout\n\t\tformat json\n\t}'],
};

/** Directives that only make sense inside another directive's block; their uses carry the wrapper. */
const WRAPPED: Record<string, string> = {
  copy_response_headers: 'reverse_proxy a:1 {\n\t\t%s\n\t}',
  copy_response: 'reverse_proxy a:1 {\n\t\t%s\n\t}',
};

/** Being redesigned on their own; not audited here. */
const REDESIGNED = new Set<string>();

/** 'serves', 'refused', or what went wrong instead. */
function outcome(use: string): string {
  const text = `&(r) {\n\trespond named\n}\nexample.com {\n\t${use}\n}\n`;
  let config;
  try {
    config = adaptCaddyfile(text, { filename: 'Caddyfile', env: {} }).config;
  } catch (e) {
    if (!(e instanceof CaddyfileError)) return `adapt crashed: ${(e as Error).message}`;
    if (!e.unsupported) return `adapt error: ${e.message}`;
    return /Caddyfile:\d+ - Error during parsing: valid in Caddy but not supported by Gatehouse: \S.* \(.+, .+\)$/.test(
      e.message,
    )
      ? 'refused'
      : `refusal without file:line or reason: ${e.message}`;
  }
  try {
    compileConfig(config);
    return 'serves';
  } catch (e) {
    return `adapted, then the compiler refused: ${(e as Error).message}`;
  }
}

describe('every directive Caddy knows serves or is refused while adapting', () => {
  it('covers the whole directive order', () => {
    for (const dir of DEFAULT_DIRECTIVE_ORDER) if (!REDESIGNED.has(dir)) expect(USES[dir], dir).toBeDefined();
  });
  for (const [dir, uses] of Object.entries(USES)) {
    for (const use of uses) {
      const wrapped = WRAPPED[dir] ? WRAPPED[dir].replace('%s', use) : use;
      it(`${dir}: ${use.split('\n')[0]}`, () => {
        const result = outcome(wrapped);
        if (result !== 'serves' && result !== 'refused') expect.fail(result);
      });
    }
  }
});

describe('refusals name the directive, its line and what to do instead', () => {
  const adapt = (body: string) => () =>
    adaptCaddyfile(`example.com {\n\trespond ok\n\t${body}\n}\n`, { filename: 'Caddyfile', env: {} });
  it('templates, even with an empty extensions block', () => {
    expect(adapt('templates {\n\t\textensions {\n\t\t}\n\t}')).toThrow(
      /^Caddyfile:3 - Error during parsing: valid in Caddy but not supported by Gatehouse: templates \(a Worker has no file system for templates.*, render them upstream and reverse_proxy to it\)$/,
    );
  });
  it('log_append is served now; written wrongly it still gets the syntax error Caddy gives', () => {
    expect(adapt('log_append k v')).not.toThrow();
    expect(adapt('log_append k')).toThrow(
      "Caddyfile:3 - Error during parsing: wrong argument count or unexpected line ending after 'k'",
    );
  });
});
