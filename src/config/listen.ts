import { ConfigError } from './errors.ts';
import { digitRange } from '../util/digits.ts';

/** A listener's port range; Workers have no sockets, so a listen address only selects the server by port. */
export interface PortRange {
  from: number;
  to: number;
}

/**
 * Parses Caddy network addresses: `[network/]host:port[-port]`, e.g. `:443`, `localhost:8080`, `tcp/:80`,
 * `[::1]:2015`, `:8000-8010`. Unix sockets and fd listeners cannot apply to a Worker and are skipped.
 */
export function parseListen(addresses: unknown, path: string): PortRange[] {
  if (addresses === undefined) return [];
  if (!Array.isArray(addresses) || !addresses.every((a) => typeof a === 'string')) {
    throw new ConfigError('listen must be a list of addresses', path);
  }
  const out: PortRange[] = [];
  for (const addr of addresses as string[]) {
    const slash = addr.indexOf('/');
    const network = slash >= 0 && !addr.startsWith('[') ? addr.slice(0, slash) : '';
    if (network.startsWith('unix') || network.startsWith('fd') || network.startsWith('fdgram')) continue;
    const hostPort = slash >= 0 && !addr.startsWith('[') ? addr.slice(slash + 1) : addr;
    const colon = hostPort.lastIndexOf(':');
    const portPart = colon >= 0 ? hostPort.slice(colon + 1) : '';
    const range = digitRange(portPart);
    if (!range) throw new ConfigError(`listen address ${JSON.stringify(addr)} has no port`, path);
    const { from, to } = range;
    if (from > 65535 || to > 65535 || to < from)
      throw new ConfigError(`listen address ${JSON.stringify(addr)}: bad port range`, path);
    out.push({ from, to });
  }
  return out;
}

export function listensOn(ranges: PortRange[], port: number): boolean {
  return ranges.some((r) => port >= r.from && port <= r.to);
}
