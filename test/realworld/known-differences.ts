/**
 * Corpus files that Caddy 2.6.2 and Gatehouse both adapt, but to different JSON, with the reason. An entry must
 * still differ (the test fails once the outputs agree, so the entry goes); any other difference fails the test.
 */
const SAME_SPECIFICITY_ORDER =
  'HEAD sorts same-specificity path routes of one directive differently (sortRoutes tie-breaking changed after 2.6): the two `respond /.well-known/matrix/...` routes swap';
const TLS_APP = 'Caddy prints an apps.tls automation policy for `tls internal`, which Gatehouse does not produce';

export const KNOWN_DIFFERENCES: Record<string, string> = {
  '058-matrix-org-dendrite.Caddyfile': SAME_SPECIFICITY_ORDER,
  '059-matrix-org-dendrite.Caddyfile': SAME_SPECIFICITY_ORDER,
  '060-matrix-org-dendrite.Caddyfile': `${SAME_SPECIFICITY_ORDER}; HEAD also names a path_regexp matcher after its named matcher (the \`name\` field, 2.7+)`,
  '061-authelia-authelia.Caddyfile':
    'Caddy prints apps.tls (the certificate files) and tls_connection_policies, which Gatehouse does not produce; ' +
    'HEAD keys logger_names by host without the port and lists them as arrays; HEAD\'s forward_auth copy_headers ' +
    'deletes each header and sets it only when the auth response has it (2.6.2 sets them all unconditionally)',
  '062-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
  '063-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
  '064-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
};
