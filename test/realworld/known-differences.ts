/**
 * Corpus files that Caddy 2.6.2 and Gatehouse both adapt, but to different JSON, with the reason. An entry must
 * still differ (the test fails once the outputs agree, so the entry goes); any other difference fails the test.
 */
const SAME_SPECIFICITY_ORDER =
  'HEAD sorts same-specificity path routes of one directive differently (sortRoutes tie-breaking changed after 2.6): the two `respond /.well-known/matrix/...` routes swap';
const TLS_APP = 'Caddy prints an apps.tls automation policy for `tls internal`, which Gatehouse does not produce';
const FORWARD_AUTH_COPY =
  "HEAD's forward_auth copy_headers deletes each header and sets it only when the auth response has it (2.6.2 sets them all unconditionally)";
const LOGGER_NAMES = "HEAD lists each host's logger_names as an array (2.6.2 prints one string)";

export const KNOWN_DIFFERENCES: Record<string, string> = {
  '058-matrix-org-dendrite.Caddyfile': SAME_SPECIFICITY_ORDER,
  '059-matrix-org-dendrite.Caddyfile': SAME_SPECIFICITY_ORDER,
  '060-matrix-org-dendrite.Caddyfile': `${SAME_SPECIFICITY_ORDER}; HEAD also names a path_regexp matcher after its named matcher (the \`name\` field, 2.7+)`,
  '061-authelia-authelia.Caddyfile':
    'Caddy prints apps.tls (the certificate files) and tls_connection_policies, which Gatehouse does not produce; ' +
    `HEAD keys logger_names by host without the port and lists them as arrays; ${FORWARD_AUTH_COPY}`,
  '062-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
  '063-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
  '064-lucaslorentz-caddy-docker-proxy.Caddyfile': TLS_APP,
  '081-easy-oidc-easy-oidc.Caddyfile': LOGGER_NAMES,
  '084-sustainability-zhaw-sustainability-dashboard.Caddyfile':
    'HEAD sorts same-specificity path routes differently (sortRoutes tie-breaking changed after 2.6): `rewrite /ratel` and `rewrite /api/*`, `handle_path /stats/*` and `handle_path /ratel/*` swap',
  '086-chrisjenx-silo.Caddyfile':
    `${LOGGER_NAMES}; Caddy prints apps.tls (ACME issuers for the site), which Gatehouse does not produce; ` +
    "the http transport's keepalive pool tuning has no meaning for fetch() and is left out of the JSON",
  '090-a8n-tools-rusty-links.Caddyfile': `HEAD wraps handle_errors contents in a subroute (to support status-code filters), 2.6.2 inlines them; ${LOGGER_NAMES}`,
  '092-dustinnh-Walled-Garden.Caddyfile': `${FORWARD_AUTH_COPY}; Caddy prints apps.tls (certificate automation for the sites), which Gatehouse does not produce`,
};
