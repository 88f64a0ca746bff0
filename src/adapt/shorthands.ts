import type { Token } from '../caddyfile/token.ts';

/**
 * Caddyfile placeholder shorthands: `{path}` → `{http.request.uri.path}` and friends, plus the
 * prefixed families `{header.X}`, `{query.X}`, `{cookie.X}`, `{labels.N}`, `{re.name.N}`, … Applied to every token
 * of the site blocks before directives see them, as Caddy's ShorthandReplacer does.
 */
const SIMPLE: Record<string, string> = {
  '{host}': '{http.request.host}',
  '{hostport}': '{http.request.hostport}',
  '{port}': '{http.request.port}',
  '{orig_method}': '{http.request.orig_method}',
  '{orig_uri}': '{http.request.orig_uri}',
  '{orig_path}': '{http.request.orig_uri.path}',
  '{orig_dir}': '{http.request.orig_uri.path.dir}',
  '{orig_file}': '{http.request.orig_uri.path.file}',
  '{orig_query}': '{http.request.orig_uri.query}',
  '{orig_?query}': '{http.request.orig_uri.prefixed_query}',
  '{method}': '{http.request.method}',
  '{uri}': '{http.request.uri}',
  '{%uri}': '{http.request.uri_escaped}',
  '{path}': '{http.request.uri.path}',
  '{%path}': '{http.request.uri.path_escaped}',
  '{dir}': '{http.request.uri.path.dir}',
  '{file}': '{http.request.uri.path.file}',
  '{query}': '{http.request.uri.query}',
  '{%query}': '{http.request.uri.query_escaped}',
  '{?query}': '{http.request.uri.prefixed_query}',
  '{remote}': '{http.request.remote}',
  '{remote_host}': '{http.request.remote.host}',
  '{remote_port}': '{http.request.remote.port}',
  '{scheme}': '{http.request.scheme}',
  '{uuid}': '{http.request.uuid}',
  '{tls_cipher}': '{http.request.tls.cipher_suite}',
  '{tls_version}': '{http.request.tls.version}',
  '{tls_client_fingerprint}': '{http.request.tls.client.fingerprint}',
  '{tls_client_issuer}': '{http.request.tls.client.issuer}',
  '{tls_client_serial}': '{http.request.tls.client.serial}',
  '{tls_client_subject}': '{http.request.tls.client.subject}',
  '{tls_client_certificate_pem}': '{http.request.tls.client.certificate_pem}',
  '{tls_client_certificate_der_base64}': '{http.request.tls.client.certificate_der_base64}',
  '{upstream_hostport}': '{http.reverse_proxy.upstream.hostport}',
  '{client_ip}': '{http.vars.client_ip}',
};

let shorthandOf: Record<string, string> | undefined;

/**
 * The `{shorthand}` that expands to `placeholder` (given without braces), if any. The table is built on first use,
 * not while the module loads (a Worker cold start runs module code).
 */
export function shorthandFor(placeholder: string): string | undefined {
  shorthandOf ??= Object.fromEntries(Object.entries(SIMPLE).map(([short, full]) => [full.slice(1, -1), short]));
  return shorthandOf[placeholder];
}

/** Prefixed families; order matters where one prefix is a prefix of another (`re.` vs `rp.`—they are distinct). */
const PREFIXED: [RegExp, string][] = [
  [/\{header\.([\w-]*)\}/g, '{http.request.header.$1}'],
  [/\{cookie\.([\w-]*)\}/g, '{http.request.cookie.$1}'],
  [/\{labels\.([\w-]*)\}/g, '{http.request.host.labels.$1}'],
  [/\{path\.([\w-]*)\}/g, '{http.request.uri.path.$1}'],
  [/\{file\.([\w-]*)\}/g, '{http.request.uri.path.file.$1}'],
  [/\{query\.([\w-]*)\}/g, '{http.request.uri.query.$1}'],
  [/\{re\.([\w-.]*)\}/g, '{http.regexp.$1}'],
  [/\{vars\.([\w-]*)\}/g, '{http.vars.$1}'],
  [/\{rp\.([\w-.]*)\}/g, '{http.reverse_proxy.$1}'],
  [/\{resp\.([\w-.]*)\}/g, '{http.intercept.$1}'],
  [/\{err\.([\w-.]*)\}/g, '{http.error.$1}'],
  [/\{file_match\.([\w-]*)\}/g, '{http.matchers.file.$1}'],
];

/** The fixed names as one alternation, built on first use (module start-up stays free of regexp work). */
let anySimple: RegExp | undefined;

/** Expands every shorthand in one string: the fixed names first, then the prefixed families (Caddy's order). */
export function expandShorthands(s: string): string {
  if (!s.includes('{')) return s;
  anySimple ??= new RegExp(
    Object.keys(SIMPLE)
      .map((k) => k.replace(/[.*+?^${}()|[\]\\%]/g, '\\$&'))
      .join('|'),
    'g',
  );
  let out = s.replace(anySimple, (m) => SIMPLE[m]);
  for (const [re, repl] of PREFIXED) out = out.replace(re, repl);
  return out;
}

/** Token copies with shorthands expanded (tokens may be shared with other blocks via snippets). */
export function expandTokenShorthands(tokens: Token[]): Token[] {
  return tokens.map((t) => {
    const text = expandShorthands(t.text);
    return text === t.text ? t : { ...t, text };
  });
}
