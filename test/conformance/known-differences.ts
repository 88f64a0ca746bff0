/**
 * Golden adapter files whose output Gatehouse consciously does not reproduce (yet), with the reason. Every entry
 * needs a reason; the conformance test fails for any other supported file that does not match.
 */
export const KNOWN_DIFFERENCES: Record<string, string> = {
  'import_args_file.caddyfiletest':
    'imports files from the caddytest testdata/ directory, which the shared conformance copy lacks',
  'import_block_snippet_non_replaced_block_from_separate_file.caddyfiletest':
    'imports files from the caddytest testdata/ directory, which the shared conformance copy lacks',
  'php_fastcgi_expanded_form.caddyfiletest': 'the fastcgi transport cannot exist at the edge; refused as unsupported',
  'reverse_proxy_dynamic_upstreams.caddyfiletest':
    'dynamic upstreams (DNS A/SRV lookups) are refused as unsupported at the edge',
  'reverse_proxy_dynamic_upstreams_grace_period.caddyfiletest':
    'dynamic upstreams (DNS A/SRV lookups) are refused as unsupported at the edge',
  'reverse_proxy_empty_non_http_transport.caddyfiletest':
    'uses the fastcgi transport, refused as unsupported at the edge',
  'reverse_proxy_options.caddyfiletest':
    'socket-level http transport tuning (keep-alive pools, buffer sizes, resolver, TLS renegotiation) has no meaning for fetch(); accepted and left out of the JSON',
  'site_block_sorting.caddyfiletest':
    'Caddy prints an apps.tls section (certificate automation), which Gatehouse does not produce',
  'import_block_snippet_invalid_subdirective.caddyfiletest':
    'imports files from the caddytest testdata/ directory, which the shared conformance copy lacks',
  'file_server_file_limit.caddyfiletest':
    'file_server browse is refused as unsupported: static assets cannot be listed',
  'file_server_sort.caddyfiletest': 'file_server browse is refused as unsupported: static assets cannot be listed',
};
