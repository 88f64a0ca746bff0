import { CliError } from '../command.ts';

/** Where the front listens: `host:port`, `[v6]:port`, `:port` or `*:port` (all interfaces), as --listen takes it. */
export interface ListenAddress {
  /** undefined: every interface. */
  host: string | undefined;
  port: number;
}

export function parseListen(flag: string): ListenAddress {
  const m = /^(?:(\[[0-9A-Fa-f:.]*\]|[^:[\]]*):)?(\d{1,5})$/.exec(flag);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new CliError(`--listen must be host:port, [ipv6]:port or :port, got ${flag}`);
  const host = m[1]?.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' || host === '*' ? undefined : host, port };
}

/** The URL a user can open for the address a server got (the port may have been 0). */
export function listenUrl(address: { address: string; family: string; port: number }): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
