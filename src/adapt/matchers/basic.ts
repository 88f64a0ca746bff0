import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { unsupportedError } from '../../caddyfile/errors.ts';
import { args, nextArg, type MatcherContext, type MatcherParser } from './util.ts';
import { pushAll } from '../../util/push-all.ts';

/**
 * Matchers whose Caddyfile form is a flat list of values (path, host, method): every line's values are appended.
 * With no values at all Caddy's nil slice marshals as `null`.
 */
function listMatcher(kind: string): MatcherParser {
  return (d: Dispenser): string[] | null => {
    const out: string[] = [];
    while (d.next()) {
      pushAll(out, d.remainingArgs());
      if (d.nextBlock(0)) throw d.err(`malformed ${kind} matcher: blocks are not supported`);
    }
    return out.length ? out : null;
  };
}

/** Default of Caddy's `private_ranges` shortcut for the IP matchers. */
export const PRIVATE_RANGES = ['192.168.0.0/16', '172.16.0.0/12', '10.0.0.0/8', '127.0.0.1/8', 'fd00::/8', '::1'];

/** remote_ip / client_ip: `<ranges…>` with the `private_ranges` shortcut; lines merge. */
function ipMatcher(kind: 'remote_ip' | 'client_ip'): MatcherParser {
  return (d: Dispenser): { ranges?: string[] } => {
    const ranges: string[] = [];
    while (d.next()) {
      while (nextArg(d)) {
        const v = d.val();
        if (kind === 'remote_ip' && v === 'forwarded') {
          throw d.err("the 'forwarded' option is no longer supported; use the 'client_ip' matcher instead");
        }
        if (v === 'private_ranges') ranges.push(...PRIVATE_RANGES);
        else ranges.push(v);
      }
      if (d.nextBlock(0)) throw d.err(`malformed ${kind} matcher: blocks are not supported`);
    }
    return ranges.length ? { ranges } : {};
  };
}

/** Caddy's MatchRegexp JSON: `name` (omitted when empty) then `pattern`. */
export interface RegexpJSON {
  name?: string;
  pattern: string;
}

export function regexpJSON(name: string, pattern: string): RegexpJSON {
  return name ? { name, pattern } : { pattern };
}

/** path_regexp `[<name>] <regexp>`; only one per named matcher. */
function parsePathRegexp(d: Dispenser, ctx: MatcherContext): RegexpJSON {
  let re: RegexpJSON | undefined;
  while (d.next()) {
    if (re?.pattern) throw d.err('regular expression can only be used once per named matcher');
    const a = d.remainingArgs();
    let name: string;
    let pattern: string;
    if (a.length === 1) [name, pattern] = ['', a[0]];
    else if (a.length === 2) [name, pattern] = a;
    else throw d.argErr();
    re = regexpJSON(name || ctx.name, pattern);
    if (d.nextBlock(0)) throw d.err('malformed path_regexp matcher: blocks are not supported');
  }
  return re ?? { pattern: '' };
}

/** protocol `<proto>`; the last line wins (it is a single string). */
function parseProtocol(d: Dispenser): string {
  let proto = '';
  while (d.next()) {
    const a = args(d, 1);
    if (!a) throw d.err('expected exactly one protocol');
    proto = a[0];
  }
  return proto;
}

/** tls `[early_data]`: early_data matches requests whose handshake is not complete yet. */
function parseTLS(d: Dispenser): { handshake_complete?: boolean } {
  const out: { handshake_complete?: boolean } = {};
  while (d.next()) {
    if (nextArg(d)) {
      if (d.val() !== 'early_data') throw d.err(`unrecognized option '${d.val()}'`);
      out.handshake_complete = false;
    }
    if (nextArg(d)) throw d.argErr();
    if (d.nextBlock(0)) throw d.err('malformed tls matcher: blocks are not supported yet');
  }
  return out;
}

/** url_pattern `<pattern> { base_url <url>; ignore_case }`. */
function parseURLPattern(d: Dispenser): { pattern?: string; base_url?: string; ignore_case?: boolean } {
  let pattern = '';
  let baseURL = '';
  let ignoreCase = false;
  while (d.next()) {
    const a = args(d, 1);
    if (!a) throw d.err('expected exactly one URL pattern');
    pattern = a[0];
    for (const nesting = d.nesting(); d.nextBlock(nesting); ) {
      switch (d.val()) {
        case 'base_url': {
          const b = args(d, 1);
          if (!b) throw d.argErr();
          baseURL = b[0];
          break;
        }
        case 'ignore_case':
          if (nextArg(d)) throw d.argErr();
          ignoreCase = true;
          break;
        default:
          throw d.err(`unrecognized url_pattern option '${d.val()}'`);
      }
    }
  }
  const out: { pattern?: string; base_url?: string; ignore_case?: boolean } = {};
  if (pattern) out.pattern = pattern;
  if (baseURL) out.base_url = baseURL;
  if (ignoreCase) out.ignore_case = true;
  return out;
}

/** The file matcher JSON (fileserver.MatchFile), fields in Caddy's order. */
interface FileMatcherJSON {
  root?: string;
  try_files?: string[];
  try_policy?: string;
  split_path?: string[];
}

/** Static assets at the edge carry no modification time to compare. */
export const mtimeRefused = (tok: ReturnType<Dispenser['token']>) =>
  unsupportedError(
    tok,
    'try policy most_recently_modified',
    'static assets carry no modification time, use first_exist',
  );

/** file `[<files…>] { root; try_files; try_policy; split_path }`. */
function parseFile(d: Dispenser): FileMatcherJSON {
  let root = '';
  let tryPolicy = '';
  const tryFiles: string[] = [];
  let splitPath: string[] = [];
  while (d.next()) {
    pushAll(tryFiles, d.remainingArgs());
    for (const nesting = d.nesting(); d.nextBlock(nesting); ) {
      switch (d.val()) {
        case 'root':
          if (!nextArg(d)) throw d.argErr();
          root = d.val();
          break;
        case 'try_files':
          pushAll(tryFiles, d.remainingArgs());
          if (!tryFiles.length) throw d.argErr();
          break;
        case 'try_policy':
          if (!nextArg(d)) throw d.argErr();
          tryPolicy = d.val();
          if (tryPolicy === 'most_recently_modified') throw mtimeRefused(d.token());
          break;
        case 'split_path':
          splitPath = d.remainingArgs();
          if (!splitPath.length) throw d.argErr();
          break;
        default:
          throw d.err(`unrecognized subdirective: ${d.val()}`);
      }
    }
  }
  const out: FileMatcherJSON = {};
  if (root) out.root = root;
  if (tryFiles.length) out.try_files = tryFiles;
  if (tryPolicy) out.try_policy = tryPolicy;
  if (splitPath.length) out.split_path = splitPath;
  return out;
}

export const basicMatchers: Record<string, MatcherParser> = {
  path: listMatcher('path'),
  host: listMatcher('host'),
  method: listMatcher('method'),
  remote_ip: ipMatcher('remote_ip'),
  client_ip: ipMatcher('client_ip'),
  path_regexp: parsePathRegexp,
  protocol: parseProtocol,
  tls: parseTLS,
  url_pattern: parseURLPattern,
  file: parseFile,
};
