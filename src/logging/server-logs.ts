import { ConfigError } from '../config/errors.ts';
import { splitHostPort } from '../http/placeholders/request.ts';

// A server's `logs` (Caddy's ServerLogConfig): which hosts are logged and under which logger names. Both shapes
// of logger_names are read: 2.6's host → name and 2.8's host → [names].

export interface ServerLogPolicy {
  /** Caddy's shouldLogRequest: mapped hosts always, skip_hosts never, unmapped ones unless skip_unmapped_hosts. */
  shouldLog(host: string): boolean;
  /** Logger name suffixes for the host ('' is the plain `http.log.access`). */
  loggerNames(host: string): readonly string[];
  readonly logCredentials: boolean;
}

export function compileServerLogPolicy(json: unknown, path: string): ServerLogPolicy {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError('logs must be an object', path);
  const spec = json as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (
      ![
        'default_logger_name',
        'logger_names',
        'skip_hosts',
        'skip_unmapped_hosts',
        'should_log_credentials',
        'trace',
      ].includes(key)
    ) {
      throw new ConfigError(`logs: unknown field "${key}"`, path);
    }
  }
  const names = new Map<string, string[]>();
  const rawNames = spec.logger_names ?? {};
  if (typeof rawNames !== 'object' || rawNames === null || Array.isArray(rawNames))
    throw new ConfigError('logger_names must be an object', `${path}.logger_names`);
  for (const [host, v] of Object.entries(rawNames)) {
    if (typeof v === 'string') names.set(host, [v]);
    else if (Array.isArray(v) && v.every((n) => typeof n === 'string')) names.set(host, v);
    else
      throw new ConfigError('a logger_names value must be a name or a list of names', `${path}.logger_names.${host}`);
  }
  const skipHosts = spec.skip_hosts ?? [];
  if (!Array.isArray(skipHosts) || !skipHosts.every((h) => typeof h === 'string'))
    throw new ConfigError('skip_hosts must be a list of hosts', `${path}.skip_hosts`);
  const defaultName = spec.default_logger_name ?? '';
  if (typeof defaultName !== 'string') throw new ConfigError('default_logger_name must be a string', path);
  const fallback = [defaultName];
  const skipUnmapped = spec.skip_unmapped_hosts === true;

  const lookup = (key: string): string[] | undefined => names.get(key) ?? names.get(splitHostPort(key)[0]);
  /** Caddy's getLoggerName: the host as sent, then without its port, then each label in turn replaced by `*`. */
  const namesFor = (host: string): string[] | undefined => {
    const exact = lookup(host);
    if (exact || names.size === 0) return exact;
    const labels = host.split('.');
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === '') continue;
      labels[i] = '*';
      const found = lookup(labels.join('.'));
      if (found) return found;
    }
    return undefined;
  };
  return {
    shouldLog(host) {
      if (names.has(host) || names.has(splitHostPort(host)[0])) return true;
      const bare = splitHostPort(host)[0];
      if (skipHosts.some((pattern) => matchWildcard(host, pattern) || matchWildcard(bare, pattern))) return false;
      return !skipUnmapped;
    },
    loggerNames: (host) => namesFor(host) ?? fallback,
    logCredentials: spec.should_log_credentials === true,
  };
}

/** certmagic.MatchWildcard: equal, or the same number of labels with `*` standing for any one label. */
function matchWildcard(subject: string, pattern: string): boolean {
  if (subject === pattern) return true;
  const s = subject.split('.');
  const p = pattern.split('.');
  if (s.length !== p.length) return false;
  return p.every((label, i) => label === '*' || label === s[i]);
}
