import { locatedError } from '../caddyfile/errors.ts';
import type { ServerBlock } from '../caddyfile/serverblock.ts';
import type { ConfigValue } from './helper.ts';
import { addressString, joinHostPort, normalizeAddress, parseAddress, type Address } from './addresses.ts';

/** A site block after its directives ran: values by class, plus its parsed keys. */
export interface SiteBlock {
  index: number;
  block: ServerBlock;
  pile: Map<string, ConfigValue[]>;
  /** Named routes its `invoke`s use. */
  invoked: string[];
}

/** One site block as served on one listener: only the keys that map to that listener. */
export interface SiteOnListener {
  site: SiteBlock;
  keys: string[];
  parsedKeys: Address[];
}

/** Listener addresses (with protocols) and the site blocks they serve: one server each (Caddy's sbAddrAssociation). */
export interface Pairing {
  addresses: { address: string; protocols: string[] }[];
  blocks: SiteOnListener[];
}

interface BindValue {
  addresses: string[];
  protocols: string[];
}

function bindValues(site: SiteBlock): BindValue[] {
  const out: BindValue[] = [];
  for (const v of site.pile.get('bind') ?? []) {
    const val = v.value as { addresses?: unknown; protocols?: unknown } | string[];
    if (Array.isArray(val)) out.push({ addresses: val.map(String), protocols: [] });
    else if (val && Array.isArray(val.addresses)) {
      out.push({
        addresses: val.addresses.map(String),
        protocols: Array.isArray(val.protocols) ? val.protocols.map(String) : [],
      });
    }
  }
  return out;
}

/** Caddy's network address text for a bind host (maybe `network/host`) and port. */
function listenerAddress(bind: string, port: string): string {
  const slash = bind.indexOf('/');
  let network = '';
  let host = bind;
  if (slash >= 0 && /^[a-z0-9+]+$/.test(bind.slice(0, slash))) {
    network = bind.slice(0, slash);
    host = bind.slice(slash + 1);
  }
  if (network.startsWith('unix') || network === 'fd' || network === 'fdgram') return `${network}/${host}`;
  const hp = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const addr = hp === '' ? `:${port}` : joinHostPort(hp, port);
  return network ? `${network}/${addr}` : addr;
}

/** Listener addresses one site key needs (Caddy's listenersForServerBlockAddress). */
function listenersFor(site: SiteBlock, addr: Address, options: Map<string, unknown>): Map<string, Set<string>> {
  switch (addr.scheme) {
    case 'wss':
      throw new Error('the scheme wss:// is only supported in browsers; use https:// instead');
    case 'ws':
      throw new Error('the scheme ws:// is only supported in browsers; use http:// instead');
    case 'https':
    case 'http':
    case '':
      break;
    default:
      throw new Error(`unsupported URL scheme ${addr.scheme}://`);
  }
  const httpPort = String(options.get('http_port') ?? 80);
  const httpsPort = String(options.get('https_port') ?? 443);
  const lnPort = addr.port !== '' ? addr.port : addr.scheme === 'http' ? httpPort : httpsPort;
  if ((addr.scheme === 'http' && lnPort === httpsPort) || (addr.scheme === 'https' && lnPort === httpPort)) {
    throw new Error(`[${addressString(addr)}] scheme and port violate convention`);
  }
  let binds = bindValues(site);
  if (!binds.length) {
    const defaults = options.get('default_bind') as BindValue[] | undefined;
    binds = defaults ?? [{ addresses: [''], protocols: [] }];
  }
  const out = new Map<string, Set<string>>();
  for (const b of binds) {
    for (const a of b.addresses) {
      const ln = listenerAddress(a, lnPort);
      const set = out.get(ln) ?? new Set<string>();
      for (const p of b.protocols) set.add(p);
      out.set(ln, set);
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups site blocks by the listener addresses their keys need, then merges listeners serving identical blocks. */
export function pairSites(sites: SiteBlock[], options: Map<string, unknown>): Pairing[] {
  // listener address → protocol → site blocks (with the subset of keys on that listener)
  const byAddr = new Map<string, Map<string, SiteOnListener[]>>();
  for (const site of sites) {
    const perAddr = new Map<string, Map<string, { key: string; parsed: Address }[]>>();
    site.block.keys.forEach((key, j) => {
      let parsed: Address;
      try {
        parsed = normalizeAddress(parseAddress(key.text));
      } catch (e) {
        throw locatedError(key, `parsing key: ${(e as Error).message}`);
      }
      let listeners: Map<string, Set<string>>;
      try {
        listeners = listenersFor(site, parsed, options);
      } catch (e) {
        throw locatedError(
          key,
          `server block ${site.index}, key ${j} (${key.text}): determining listener address: ${(e as Error).message}`,
        );
      }
      for (const [addr, prots] of listeners) {
        const m = perAddr.get(addr) ?? new Map<string, { key: string; parsed: Address }[]>();
        perAddr.set(addr, m);
        for (const p of prots.size ? prots : new Set([''])) {
          const list = m.get(p) ?? [];
          list.push({ key: key.text, parsed });
          m.set(p, list);
        }
      }
    });
    for (const addr of [...perAddr.keys()].sort(cmp)) {
      const m = perAddr.get(addr) as Map<string, { key: string; parsed: Address }[]>;
      const dest = byAddr.get(addr) ?? new Map<string, SiteOnListener[]>();
      byAddr.set(addr, dest);
      for (const p of [...m.keys()].sort(cmp)) {
        const kp = m.get(p) ?? [];
        const list = dest.get(p) ?? [];
        list.push({ site, keys: kp.map((x) => x.key), parsedKeys: kp.map((x) => x.parsed) });
        dest.set(p, list);
      }
    }
  }
  return consolidate(byAddr);
}

function sameBlocks(a: SiteOnListener[], b: SiteOnListener[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => x.site === b[i].site && x.keys.join('\n') === b[i].keys.join('\n'));
}

function consolidate(byAddr: Map<string, Map<string, SiteOnListener[]>>): Pairing[] {
  const out: Pairing[] = [];
  for (const addr of [...byAddr.keys()].sort(cmp)) {
    const protMap = byAddr.get(addr) as Map<string, SiteOnListener[]>;
    for (const prot of [...protMap.keys()].sort(cmp)) {
      // A protocol merged into an earlier listener of this same address still yields an (empty) pairing, because
      // Caddy iterates a snapshot of the protocols; `caddy adapt` then prints an empty server for it.
      const blocks = protMap.get(prot) ?? [];
      const listeners = new Map<string, Set<string>>();
      for (const [otherAddr, otherProts] of byAddr) {
        for (const [otherProt, otherBlocks] of [...otherProts]) {
          if ((addr === otherAddr && prot === otherProt) || sameBlocks(blocks, otherBlocks)) {
            const s = listeners.get(otherAddr) ?? new Set<string>();
            s.add(otherProt);
            listeners.set(otherAddr, s);
            otherProts.delete(otherProt);
          }
        }
      }
      out.push({
        addresses: [...listeners.keys()].sort(cmp).map((a) => ({
          address: a,
          protocols: [...(listeners.get(a) as Set<string>)].sort(cmp),
        })),
        blocks,
      });
    }
  }
  return out;
}
