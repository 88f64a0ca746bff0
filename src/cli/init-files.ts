/**
 * What `gatehouse init` writes into a user's project. The wrangler.toml runs the installed package's Worker with
 * the settings of Gatehouse's own wrangler.toml (test/node/init.test.ts holds them equal), minus its [build] step:
 * a user's deploy bakes the adapted config into the bundle instead.
 */

export const COMPATIBILITY_DATE = '2026-11-01';
export const COMPATIBILITY_FLAGS = ['nodejs_compat'];
export const DURABLE_OBJECTS = [
  { binding: 'CONFIG_STORE', className: 'ConfigStore' },
  { binding: 'RATE_LIMITER', className: 'RateLimiter' },
  { binding: 'METRICS', className: 'MetricsShard' },
  { binding: 'UPSTREAM_POOL', className: 'UpstreamPool' },
];

export const GITIGNORE_LINES = ['.dev.vars', '.gatehouse/', '.wrangler/'];

export const STARTER_CADDYFILE = `# Gatehouse reads this Caddyfile (https://caddyserver.com/docs/caddyfile).
#   npx gatehouse validate   check it
#   npx gatehouse run        serve it on http://127.0.0.1:8080
#   npx gatehouse deploy     deploy it to Cloudflare (the Worker named in wrangler.toml)
:8080 {
	# /api/* goes to your backend, without the /api prefix: put its address here.
	handle_path /api/* {
		reverse_proxy https://api.example.com
	}

	handle {
		respond "Gatehouse is running" 200
	}
}
`;

/** A Worker name wrangler accepts: lowercase letters, digits and dashes, at most 63, no dash at either end. */
export function isWorkerName(name: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
}

/** The Worker name a directory name suggests ("My API" -> "my-api"); "gatehouse" when nothing usable is left. */
export function workerNameFrom(directory: string): string {
  const name = directory
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return name || 'gatehouse';
}

/** `packageDir` is the installed package relative to the project (posix separators), e.g. node_modules/gatehouse. */
export function starterWranglerToml(name: string, packageDir: string): string {
  const durableObjects = DURABLE_OBJECTS.map(
    (d) => `[[durable_objects.bindings]]\nname = "${d.binding}"\nclass_name = "${d.className}"\n`,
  ).join('\n');
  return `# The Gatehouse Worker of this project. \`npx gatehouse deploy\` adapts ./Caddyfile (or --config), bakes it into
# the bundle and runs wrangler deploy with this file; \`npx gatehouse run\` and \`selfhost\` build the same Worker.
name = "${name}"
main = "${packageDir}/src/index.ts"
compatibility_date = "${COMPATIBILITY_DATE}"
compatibility_flags = [${COMPATIBILITY_FLAGS.map((f) => `"${f}"`).join(', ')}]
minify = true
keep_names = false
upload_source_maps = true

# Where the Worker answers. Without routes it is on <name>.<your-subdomain>.workers.dev only. Uncomment one:
# a custom domain (Cloudflare creates the DNS record and certificate; the zone must be on your account)
# routes = [{ pattern = "api.example.com", custom_domain = true }]
# or a route on a zone you have, in front of an existing origin
# routes = [{ pattern = "example.com/api/*", zone_name = "example.com" }]
# workers_dev = false   # to turn off the workers.dev address

# The Worker imports no Node built-in: Gatehouse's stand-in for node:crypto keeps it out of every isolate.
[alias]
"crypto" = "./${packageDir}/src/util/no-node-crypto.ts"

[[rules]]
type = "Text"
globs = ["**/*.adapted"]
fallthrough = true

# Gatehouse's shared state (config versions, rate limits, metrics, upstream health). Keep these names.
${durableObjects}
[[migrations]]
tag = "v1"
new_sqlite_classes = [${DURABLE_OBJECTS.map((d) => `"${d.className}"`).join(', ')}]

[vars]
# How long an isolate may serve a config before it re-reads the config store (milliseconds).
CONFIG_REFRESH_MS = "5000"

# Secrets: \`npx wrangler secret put ADMIN_TOKEN\` turns on the admin API (METRICS_TOKEN: the metrics scrape);
# for \`gatehouse run\` put them in .dev.vars.
`;
}
