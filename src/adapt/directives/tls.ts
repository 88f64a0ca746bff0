import type { ConfigValue, Helper } from '../helper.ts';
import { registerDirective } from '../registry.ts';
import { recordIgnored } from './util.ts';

/**
 * `tls [<email>|internal]|[<cert> <key>] { … }`: certificates are Cloudflare's job at the edge, so valid settings are
 * accepted and do nothing (the name is recorded so the adapter can say it was ignored). What Caddy rejects is still
 * an error, in Caddy's words: unknown subdirectives, wrong argument counts, unknown protocols and issuers.
 */

/** Subdirectives Caddy's tls directive knows (2.6.2 and later), with the argument counts it accepts. */
const SUBDIRECTIVES: Record<string, [min: number, max: number]> = {
  protocols: [1, 2],
  ciphers: [0, Infinity],
  curves: [0, Infinity],
  client_auth: [0, 0],
  alpn: [1, Infinity],
  load: [0, Infinity],
  ca: [1, 1],
  ca_root: [1, 1],
  key_type: [1, 1],
  eab: [2, 2],
  issuer: [1, Infinity],
  get_certificate: [1, Infinity],
  dns: [1, Infinity],
  resolvers: [1, Infinity],
  dns_challenge_override_domain: [1, 1],
  on_demand: [0, 0],
  insecure_secrets_log: [1, 1],
  // added after 2.6.2
  propagation_delay: [1, 1],
  propagation_timeout: [1, 1],
  dns_ttl: [1, 1],
  reuse_private_keys: [0, 0],
  renewal_window_ratio: [1, 1],
};

const PROTOCOLS = new Set(['tls1.2', 'tls1.3']);
/** Issuer modules a stock Caddy has; others are plugins Caddy would refuse to load. */
const ISSUERS = new Set(['acme', 'zerossl', 'internal']);

export function parseTLS(h: Helper): ConfigValue[] {
  h.next(); // directive name
  const args = h.remainingArgs();
  if (args.length > 2) throw h.argErr();
  let block = false;
  for (const n = h.nesting(); h.nextBlock(n); ) {
    block = true;
    const sub = h.val();
    const arity = SUBDIRECTIVES[sub];
    if (!arity) throw h.err(`unknown subdirective: ${sub}`);
    if (sub === 'protocols') {
      const p = h.remainingArgs();
      if (p.length === 0) throw h.syntaxErr('one or two protocols');
      for (const v of p) if (!PROTOCOLS.has(v)) throw h.err(`Wrong protocol name or protocol not supported: '${v}'`);
      continue;
    }
    const subArgs = h.remainingArgs();
    if (subArgs.length < arity[0] || subArgs.length > arity[1]) throw h.argErr();
    if (sub === 'issuer' && !ISSUERS.has(subArgs[0])) {
      const id = `tls.issuance.${subArgs[0]}`;
      throw h.err(`getting module named '${id}': module not registered: ${id}`);
    }
    // A subdirective's own block (client_auth { … }, issuer acme { … }) configures certificates too: skipped.
    for (const inner = h.nesting(); h.nextBlock(inner); ) h.remainingArgs();
  }
  if (args.length === 0 && !block) throw h.argErr();
  recordIgnored(h, 'tls');
  return [];
}

registerDirective('tls', parseTLS);
