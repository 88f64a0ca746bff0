// The Caddyfiles the HTTP benchmark serves. Each is valid for Caddy 2.6.2 too (except rate_limit, a plugin), so
// Caddy and Gatehouse are measured on the same file.

const GLOBAL = '{\n\tadmin off\n\tauto_https off\n}\n';

/** Issue 9's minimal config: one site, reverse_proxy to one upstream, one response header. */
export function minimalCaddyfile(port: number, upstream: number): string {
  return `${GLOBAL}
:${port} {
	reverse_proxy 127.0.0.1:${upstream}
	header +X-Edge-Served "Caddy-WASM"
}
`;
}

/** The minimal config with an access log to stdout: what `log` costs per request. */
export function loggedCaddyfile(port: number, upstream: number): string {
  return minimalCaddyfile(port, upstream).replace(`:${port} {\n`, `:${port} {\n\tlog {\n\t\toutput stdout\n\t}\n`);
}

/** No proxying: a fixed answer, to tell what Gatehouse itself costs per request from what the proxying costs. */
export function respondCaddyfile(port: number): string {
  return `${GLOBAL}
:${port} {
	respond "hello from gatehouse"
}
`;
}

/** The minimal config behind a rate_limit zone that never denies: the cost of asking the limiter on every request. */
export function rateLimitedCaddyfile(port: number, upstream: number): string {
  return `${GLOBAL}
:${port} {
	rate_limit {
		zone bench {
			key {remote_host}
			events 1000000000
			window 1m
		}
	}
	reverse_proxy 127.0.0.1:${upstream}
	header +X-Edge-Served "Caddy-WASM"
}
`;
}

/**
 * About 200 routes of the kinds real sites have (host matchers, path handles, path regexps, header matchers), none
 * of which the benchmark request matches, so every one is evaluated before the final 3-upstream round robin.
 */
export function manyRoutesCaddyfile(port: number, upstreams: number[], routes = 200): string {
  const out: string[] = [GLOBAL, `:${port} {`];
  for (let i = 0; i < routes; i++) {
    switch (i % 4) {
      case 0:
        out.push(`\t@host${i} host h${i}.example.com`, `\trespond @host${i} "host ${i}"`);
        break;
      case 1:
        out.push(`\thandle /svc${i}/* {`, `\t\theader X-Route ${i}`, `\t\trespond "path ${i}"`, '\t}');
        break;
      case 2:
        out.push(`\t@re${i} path_regexp re${i} ^/items${i}/(\\d+)$`, `\trespond @re${i} "item {re.re${i}.1}"`);
        break;
      default:
        out.push(`\t@hdr${i} header X-Tenant t${i}`, `\trespond @hdr${i} "tenant ${i}"`);
    }
  }
  out.push(
    `\treverse_proxy ${upstreams.map((u) => `127.0.0.1:${u}`).join(' ')} {`,
    '\t\tlb_policy round_robin',
    '\t}',
    '\theader +X-Edge-Served "Caddy-WASM"',
    '}',
    '',
  );
  return out.join('\n');
}

/** The upstreams themselves: a Caddy answering a short body on each port (fast enough not to be the bottleneck). */
export function upstreamCaddyfile(ports: number[]): string {
  return `${GLOBAL}\n${ports.map((p) => `:${p} {\n\trespond "hello from ${p}\n" 200\n}\n`).join('\n')}`;
}
