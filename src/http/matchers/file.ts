import { joinRoot } from '../assets/hide.ts';
import { cleanPath, statAsset, type FileInfo } from '../assets/lookup.ts';
import { replaceAll } from '../handlers/tpl.ts';
import type { Matcher, RequestContext } from '../types.ts';
import { matcherError, stringList, stringMap, type MatcherCompileContext } from './types.ts';

/**
 * Caddy's `file` matcher (modules/caddyhttp/fileserver/matcher.go) on the static assets: the candidates of
 * `try_files` (placeholders replaced, `split_path` applied) are looked up through the ASSETS binding in the route's
 * prepare step; the sync matcher then reports the pick and sets {http.matchers.file.relative|absolute|type|remainder}.
 * A candidate ending in `/` must be a directory, any other a file.
 */

interface Pick {
  relative: string;
  absolute: string;
  type: 'file' | 'directory';
  remainder: string;
}

const POLICIES = ['first_exist', 'first_exist_fallback', 'smallest_size', 'largest_size', 'most_recently_modified'];

export function compileFile(json: unknown, c: MatcherCompileContext): Matcher {
  const cfg = json === null || json === undefined ? {} : stringMap(json, c, 'file');
  for (const key of Object.keys(cfg)) {
    if (!['root', 'try_files', 'try_policy', 'split_path'].includes(key))
      throw matcherError(c, `file: unsupported field "${key}"`);
  }
  if (cfg.root !== undefined && typeof cfg.root !== 'string') throw matcherError(c, 'file.root must be a string');
  const root = replaceAll(typeof cfg.root === 'string' ? cfg.root : '{http.vars.root}');
  const listed = cfg.try_files === undefined ? [] : stringList(cfg.try_files, c, 'file.try_files');
  const candidates = (listed.length ? listed : ['{http.request.uri.path}']).map((f) => ({
    tpl: replaceAll(f),
    dir: f.endsWith('/'),
  }));
  const split =
    cfg.split_path === undefined ? [] : stringList(cfg.split_path, c, 'file.split_path').map((s) => s.toLowerCase());
  const policy = cfg.try_policy === undefined ? 'first_exist' : cfg.try_policy;
  if (typeof policy !== 'string' || !POLICIES.includes(policy))
    throw matcherError(c, `file: unknown try_policy ${JSON.stringify(policy)}`);
  if (policy === 'most_recently_modified') {
    throw matcherError(
      c,
      'file: try_policy most_recently_modified is valid in Caddy but not supported by Gatehouse (Cloudflare static assets carry no modification time)',
    );
  }

  const picks = new WeakMap<RequestContext, Pick | null>();

  const firstSplit = (p: string): [string, string] => {
    const lower = p.toLowerCase();
    for (const s of split) {
      const i = lower.indexOf(s);
      if (i < 0) continue;
      const end = i + s.length;
      if (end === p.length || p[end] === '/') return [p.slice(0, end), p.slice(end)];
    }
    return [p, ''];
  };

  const prepare = async (ctx: RequestContext): Promise<void> => {
    const rootDir = root(ctx);
    let best: { pick: Pick; info: FileInfo } | null = null;
    for (let k = 0; k < candidates.length; k++) {
      const cand = candidates[k];
      const [file, remainder] = firstSplit(cand.tpl(ctx));
      const relative = cleanPath(file) + (cand.dir && file !== '/' ? '/' : '');
      const pick: Pick = {
        relative,
        absolute: joinRoot(rootDir, relative),
        type: cand.dir ? 'directory' : 'file',
        remainder,
      };
      if (policy === 'first_exist_fallback' && k === candidates.length - 1) {
        best = { pick, info: { isDir: cand.dir } };
        break;
      }
      const info = await exists(ctx, relative, cand.dir);
      if (!info) continue;
      if (policy.startsWith('first_exist')) {
        best = { pick, info };
        break;
      }
      if (info.size === undefined) continue; // a size the binding does not give cannot be compared
      if (!best || (policy === 'smallest_size' ? info.size < best.info.size! : info.size > best.info.size!))
        best = { pick, info };
    }
    picks.set(ctx, best ? best.pick : null);
  };

  const match: Matcher = (ctx) => {
    const pick = picks.get(ctx);
    if (!pick) return false;
    ctx.vars.set('http.matchers.file.relative', pick.relative);
    ctx.vars.set('http.matchers.file.absolute', pick.absolute);
    ctx.vars.set('http.matchers.file.type', pick.type);
    ctx.vars.set('http.matchers.file.remainder', pick.remainder);
    return true;
  };
  return Object.assign(match, { prepare });
}

/** Caddy's strictFileExists: a path named with a trailing slash must be a directory, any other a file. */
async function exists(ctx: RequestContext, path: string, dir: boolean): Promise<FileInfo | null> {
  const info = await statAsset(ctx, dir ? path.replace(/\/+$/, '') || '/' : path);
  if (!info) return null;
  if (dir) return info.isDir ? info : null;
  return info.isDir ? null : info;
}
