import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { ConfigValue, Helper } from '../helper.ts';
import { mtimeRefused } from '../matchers/basic.ts';
import { registerDirective, registerHandlerDirective } from '../registry.ts';
import { atoi, nextArg } from './util.ts';
import { pushAll } from '../../util/push-all.ts';

/**
 * URI-changing directives: `rewrite`, `method`, `uri` and `try_files`, all producing the `rewrite`
 * handler (try_files adds a `file` matcher in front of it).
 */

/**
 * `rewrite [<matcher>] <to>`. With one argument it is the target even when it looks like a path (Caddy counts the
 * arguments before deciding whether the first is a matcher).
 */
export function parseRewrite(h: Helper): ConfigValue[] {
  h.next(); // directive name
  const count = h.countRemainingArgs();
  if (count === 0) throw h.err('too few arguments; must have at least a rewrite URI');
  if (count > 2) throw h.err('too many arguments; should only be a matcher and a URI');
  if (count === 1) {
    if (!nextArg(h)) throw h.argErr();
    return h.newRoute(undefined, { handler: 'rewrite', uri: h.val() });
  }
  h.reset();
  const matcherSet = h.extractMatcherSet();
  h.next(); // directive name again
  h.next(); // the target
  return h.newRoute(matcherSet, { handler: 'rewrite', uri: h.val() });
}

/** `method [<matcher>] <verb>`: changes the request method. */
export function parseMethod(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (!nextArg(h)) throw h.argErr();
  const method = h.val();
  if (nextArg(h)) throw h.argErr();
  return { handler: 'rewrite', method };
}

interface QueryOpsJSON {
  rename?: { key: string; val: string }[];
  set?: { key: string; val: string }[];
  add?: { key: string; val: string }[];
  replace?: { key: string; search_regexp: string; replace: string }[];
  delete?: string[];
}

/** One query operation line: `-key`, `+key val`, `old>new`, `key <regexp> <repl>` or `key val`. */
function applyQueryOp(h: Helper, q: QueryOpsJSON, args: string[]): void {
  const key = args[0];
  if (key.startsWith('-')) {
    if (args.length !== 1) throw h.argErr();
    (q.delete ??= []).push(key.replace(/^-+/, ''));
  } else if (key.startsWith('+')) {
    if (args.length !== 2) throw h.argErr();
    (q.add ??= []).push({ key: key.replace(/^\++/, ''), val: args[1] });
  } else if (key.includes('>')) {
    if (args.length !== 1) throw h.argErr();
    const [from, to] = key.split('>');
    (q.rename ??= []).push({ key: from, val: to });
  } else if (args.length === 3) {
    (q.replace ??= []).push({ key, search_regexp: args[1], replace: args[2] });
  } else {
    if (args.length !== 2) throw h.argErr();
    (q.set ??= []).push({ key, val: args[1] });
  }
}

/** Go omits empty strings in these structs (`omitempty`), so `{key:"", val:""}` pairs lose their fields. */
function compactQuery(q: QueryOpsJSON): Record<string, unknown> {
  const pair = (p: { key: string; val: string }): Record<string, string> => {
    const o: Record<string, string> = {};
    if (p.key) o.key = p.key;
    if (p.val) o.val = p.val;
    return o;
  };
  const out: Record<string, unknown> = {};
  if (q.rename) out.rename = q.rename.map(pair);
  if (q.set) out.set = q.set.map(pair);
  if (q.add) out.add = q.add.map(pair);
  if (q.replace) {
    out.replace = q.replace.map((r) => {
      const o: Record<string, string> = {};
      if (r.key) o.key = r.key;
      if (r.search_regexp) o.search_regexp = r.search_regexp;
      if (r.replace) o.replace = r.replace;
      return o;
    });
  }
  if (q.delete) out.delete = q.delete;
  return out;
}

/** `uri [<matcher>] strip_prefix|strip_suffix|replace|path_regexp|query …`. */
export function parseURI(h: Helper): HandlerJSON {
  h.next(); // directive name
  const args = h.remainingArgs();
  if (args.length < 1) throw h.argErr();
  const out: HandlerJSON = { handler: 'rewrite' };
  switch (args[0]) {
    case 'strip_prefix':
      if (args.length !== 2) throw h.argErr();
      if (args[1]) out.strip_path_prefix = args[1];
      break;
    case 'strip_suffix':
      if (args.length !== 2) throw h.argErr();
      if (args[1]) out.strip_path_suffix = args[1];
      break;
    case 'replace': {
      if (args.length !== 3 && args.length !== 4) throw h.argErr();
      let limit = 0;
      if (args.length === 4) {
        const n = atoi(args[3]);
        if (n === undefined) {
          throw h.err(`limit must be an integer; invalid: strconv.Atoi: parsing "${args[3]}": invalid syntax`);
        }
        limit = n;
      }
      const r: Record<string, unknown> = {};
      if (args[1]) r.find = args[1];
      if (args[2]) r.replace = args[2];
      if (limit) r.limit = limit;
      out.uri_substring = [r];
      break;
    }
    case 'path_regexp': {
      if (args.length !== 3) throw h.argErr();
      const r: Record<string, string> = {};
      if (args[1]) r.find = args[1];
      if (args[2]) r.replace = args[2];
      out.path_regexp = [r];
      break;
    }
    case 'query': {
      if (args.length > 4) throw h.argErr();
      const q: QueryOpsJSON = {};
      const hasArgs = args.length > 1;
      if (hasArgs) applyQueryOp(h, q, args.slice(1));
      for (const n = h.nesting(); h.nextBlock(n); ) {
        if (hasArgs) throw h.err('Cannot specify uri query rewrites in both argument and block');
        applyQueryOp(h, q, [h.val(), ...h.remainingArgs()]);
      }
      out.query = compactQuery(q);
      break;
    }
    default:
      throw h.err(`unrecognized URI manipulation '${args[0]}'`);
  }
  return out;
}

const TRY_POLICIES = ['first_exist', 'first_exist_fallback', 'largest_size', 'smallest_size', 'most_recently_modified'];

/**
 * `try_files <files...> { policy <p> }`: a `file` matcher over the candidates plus a rewrite to the match. A
 * candidate with a query string gets its own route so its query survives the rewrite; the routes form one group.
 */
export function parseTryFiles(h: Helper): ConfigValue[] {
  if (!h.next()) throw h.argErr();
  const files = h.remainingArgs();
  if (files.length === 0) throw h.argErr();
  let policy = '';
  for (const n = h.nesting(); h.nextBlock(n); ) {
    if (h.val() !== 'policy') continue; // Caddy ignores other subdirectives here
    if (policy !== '') throw h.err('try policy already configured');
    if (!nextArg(h)) throw h.argErr();
    policy = h.val();
    if (!TRY_POLICIES.includes(policy)) throw h.err(`unrecognized try policy: ${policy}`);
    if (policy === 'most_recently_modified') throw mtimeRefused(h.token());
  }

  const makeRoute = (tryFiles: string[], query: string): ConfigValue[] => {
    const file: Record<string, unknown> = { try_files: tryFiles };
    if (policy) file.try_policy = policy;
    return h.newRoute({ file }, { handler: 'rewrite', uri: `{http.matchers.file.relative}${query}` });
  };

  const result: ConfigValue[] = [];
  let pending: string[] = [];
  for (const item of files) {
    const q = item.indexOf('?');
    if (q >= 0) {
      if (pending.length) {
        pushAll(result, makeRoute(pending, ''));
        pending = [];
      }
      pushAll(result, makeRoute([item.slice(0, q)], item.slice(q)));
      continue;
    }
    pending.push(item);
  }
  if (pending.length) pushAll(result, makeRoute(pending, ''));
  h.groupRoutes(result);
  return result;
}

registerDirective('rewrite', parseRewrite);
registerHandlerDirective('method', parseMethod);
registerHandlerDirective('uri', parseURI);
registerDirective('try_files', parseTryFiles);
