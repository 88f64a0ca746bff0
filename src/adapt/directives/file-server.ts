import { unsupportedError } from '../../caddyfile/errors.ts';
import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { nextArg, weakString } from './util.ts';

/**
 * `file_server [<matcher>] [browse] { … }`. Parsed into Caddy's JSON so configs adapt as Caddy's do;
 * files come from the static assets (src/http/handlers/file-server.ts). `browse` is refused: nothing can list them.
 */
const browseRefused = (h: Helper) =>
  unsupportedError(h.token(), 'file_server browse', 'static assets cannot be listed, serve an index.html instead');

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
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
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
  if (args.length === 1) throw browseRefused(h);
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
      case 'browse':
        throw browseRefused(h);
      case 'precompressed': {
        let order = h.remainingArgs();
        if (order.length === 0) order = [...PRECOMPRESSED];
        const pre: Record<string, unknown> = {};
        for (const f of order) {
          if (!PRECOMPRESSED.includes(f)) {
            throw h.err(
              `getting module named 'http.precompressed.${f}': module not registered: http.precompressed.${f}`,
            );
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
    if (!file.includes('/')) file = `./${file}`;
    hide.push(file);
  }
  if (hide.length) out.hide = hide;
  return out;
}

registerHandlerDirective('file_server', parseFileServer);
