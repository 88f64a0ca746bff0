import type { Dispenser } from '../../caddyfile/dispenser.ts';
import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import type { ResponseMatcherJSON } from './header-ops.ts';
import { parseResponseMatcher } from './response-matcher.ts';
import { atoi, nextArg } from './util.ts';

/**
 * `encode [<matcher>] [<formats...>] { <format> [<options>]; minimum_length <n>; match { … } }`.
 * `prefer` lists the formats in the order written (block formats first, as Caddy collects them); with none given
 * the default is `zstd gzip`.
 */

const ENCODER_MODULES = ['gzip', 'zstd'];
const ZSTD_LEVELS = ['fastest', 'default', 'better', 'best'];

function atoiErr(s: string): string {
  return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
}

/** `gzip [<level>]`. */
function parseGzip(d: Dispenser): Record<string, unknown> {
  d.next(); // encoder name
  if (!nextArg(d)) return {};
  const level = atoi(d.val());
  if (level === undefined) throw d.err(atoiErr(d.val()));
  return level ? { level } : {};
}

/** `zstd [<level>] { level <l>; disable_checksum }`. */
function parseZstd(d: Dispenser): Record<string, unknown> {
  d.next(); // encoder name
  const out: Record<string, unknown> = {};
  const checkLevel = (l: string): void => {
    if (!ZSTD_LEVELS.includes(l)) throw d.err(`unsupported compression level: ${l}`);
  };
  const args = d.remainingArgs();
  if (args.length > 1) throw d.argErr();
  if (args.length === 1) {
    checkLevel(args[0]);
    out.level = args[0];
  }
  for (const n = d.nesting(); d.nextBlock(n); ) {
    switch (d.val()) {
      case 'level': {
        const a = d.remainingArgs();
        if (a.length !== 1) throw d.argErr();
        if (out.level !== undefined) throw d.err('compression level already specified');
        checkLevel(a[0]);
        out.level = a[0];
        break;
      }
      case 'disable_checksum':
        if (nextArg(d)) throw d.argErr();
        if (out.checksum !== undefined) throw d.err('checksum already specified');
        out.checksum = false;
        break;
      default:
        throw d.err(`unknown subdirective '${d.val()}'`);
    }
  }
  return out;
}

function parseEncoder(d: Dispenser, name: string): Record<string, unknown> {
  if (name === 'gzip') return parseGzip(d);
  if (name === 'zstd') return parseZstd(d);
  throw d.err(`getting module named 'http.encoders.${name}': module not registered: http.encoders.${name}`);
}

export function parseEncode(h: Helper): HandlerJSON {
  h.next(); // directive name
  const prefer: string[] = [];
  let formats = h.remainingArgs();
  const encodings: Record<string, Record<string, unknown>> = {};
  let minimumLength = 0;
  let match: ResponseMatcherJSON | undefined;

  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'minimum_length': {
        if (!nextArg(h)) throw h.argErr();
        const v = atoi(h.val());
        if (v === undefined) throw h.err(atoiErr(h.val()));
        minimumLength = v;
        break;
      }
      case 'match':
        match = parseResponseMatcher(h.newFromNextSegment());
        break;
      default: {
        const name = h.val();
        encodings[name] = parseEncoder(h.newFromNextSegment(), name);
        prefer.push(name);
      }
    }
  }

  if (prefer.length === 0 && formats.length === 0) formats = ['zstd', 'gzip'];
  for (const f of formats) {
    if (!ENCODER_MODULES.includes(f)) {
      throw h.err(`finding encoder module '': module not registered: http.encoders.${f}`);
    }
    encodings[f] = {};
    prefer.push(f);
  }

  const out: HandlerJSON = { handler: 'encode', encodings };
  if (prefer.length) out.prefer = prefer;
  if (minimumLength) out.minimum_length = minimumLength;
  if (match) out.match = match;
  return out;
}

registerHandlerDirective('encode', parseEncode);
