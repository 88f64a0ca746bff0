import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { nextArg, weakString } from './util.ts';

/**
 * `file_server [<matcher>] [browse] { … }` (reference §5). Parsed into Caddy's JSON so configs adapt as Caddy's do;
 * at the edge there is no disk, so serving is the runtime's concern (static assets).
 */

const SORT_OPTIONS = ['name', 'namedirfirst', 'size', 'time', 'asc', 'desc'];
const PRECOMPRESSED = ['br', 'zstd', 'gzip'];

/** Go's path.Clean, enough for file names (no `..` above the start is kept as-is). */
function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s || (abs ? '/' : '.');
}

/** Go's filepath.Match for `*` and `?` (no classes). */
function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(name);
}

/** Caddy's fileHidden: a pattern without `/` matches the base name, one with `/` a prefix or the whole path. */
function fileHidden(file: string, hide: string[]): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return hide.some((h) => (h.includes('/') ? file.startsWith(h) || globMatch(h, file) : globMatch(h, base)));
}

export function parseFileServer(h: Helper): HandlerJSON {
  h.next(); // directive name
  const out: HandlerJSON = { handler: 'file_server' };
  const args = h.remainingArgs();
  if (args.length > 1 || (args.length === 1 && args[0] !== 'browse')) throw h.argErr();
  let browse: Record<string, unknown> | undefined = args.length ? {} : undefined;
  let hide: string[] = [];

  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'fs':
        if (!nextArg(h)) throw h.argErr();
        if (out.fs !== undefined) throw h.err('file system already specified');
        out.fs = h.val();
        break;
      case 'hide': {
        const a = h.remainingArgs();
        if (a.length === 0) throw h.argErr();
        hide = hide.concat(a);
        break;
      }
      case 'index': {
        const a = h.remainingArgs();
        if (a.length === 0) throw h.argErr();
        out.index_names = a;
        break;
      }
      case 'root':
        if (!nextArg(h)) throw h.argErr();
        out.root = h.val();
        break;
      case 'browse': {
        if (browse) throw h.err('browsing is already configured');
        browse = {};
        if (nextArg(h)) browse.template_file = h.val();
        for (const bn = h.nesting(); h.nextBlock(bn); ) {
          switch (h.val()) {
            case 'reveal_symlinks':
              if (browse.reveal_symlinks) throw h.err('Symlinks path reveal is already enabled');
              browse.reveal_symlinks = true;
              break;
            case 'sort': {
              const sort = (browse.sort as string[] | undefined) ?? [];
              while (nextArg(h)) {
                if (!SORT_OPTIONS.includes(h.val())) throw h.err(`unknown sort option '${h.val()}'`);
                sort.push(h.val());
              }
              if (sort.length) browse.sort = sort;
              break;
            }
            case 'file_limit': {
              const a = h.remainingArgs();
              if (a.length !== 1) throw h.err('file_limit should have an integer value');
              if (browse.file_limit) throw h.err('file_limit is already enabled');
              const v = /^[+-]?[0-9]+$/.test(a[0]) ? Number(a[0]) : 0;
              if (v) browse.file_limit = v;
              break;
            }
            default:
              throw h.err(`unknown subdirective '${h.val()}'`);
          }
        }
        break;
      }
      case 'precompressed': {
        let order = h.remainingArgs();
        if (order.length === 0) order = [...PRECOMPRESSED];
        const pre: Record<string, unknown> = {};
        for (const f of order) {
          if (!PRECOMPRESSED.includes(f)) {
            throw h.err(`getting module named 'http.precompressed.${f}': module not registered: http.precompressed.${f}`);
          }
          pre[f] = {};
        }
        out.precompressed = pre;
        out.precompressed_order = order;
        break;
      }
      case 'status':
        if (!nextArg(h)) throw h.argErr();
        if (h.val()) out.status_code = weakString(h.val());
        break;
      case 'disable_canonical_uris':
        if (nextArg(h)) throw h.argErr();
        out.canonical_uris = false;
        break;
      case 'pass_thru':
        if (nextArg(h)) throw h.argErr();
        out.pass_thru = true;
        break;
      case 'etag_file_extensions': {
        const a = h.remainingArgs();
        if (a.length === 0) throw h.argErr();
        out.etag_file_extensions = a;
        break;
      }
      default:
        throw h.err(`unknown subdirective '${h.val()}'`);
    }
  }

  // never serve the config itself: hide the Caddyfile(s) this site came from
  const files = new Set<string>();
  for (const seg of h.parentBlock.segments) for (const t of seg) files.add(t.file);
  for (let file of [...files].sort()) {
    file = cleanPath(file);
    if (fileHidden(file, hide)) continue;
    if (!file.includes('/')) file = './' + file;
    hide.push(file);
  }
  if (hide.length) out.hide = hide;
  if (browse) out.browse = browse;
  return out;
}

registerHandlerDirective('file_server', parseFileServer);
