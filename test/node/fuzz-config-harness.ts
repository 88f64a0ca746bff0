import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CaddyfileError } from '../../src/caddyfile/errors.ts';
import type { FileSource } from '../../src/caddyfile/serverblock.ts';
import { compileConfig } from '../../src/config/compile.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { globNameRegExp } from '../../src/caddyfile/import-glob.ts';

const SPECIALS = [
  '[',
  ']',
  '{',
  '}',
  '{}',
  '"',
  '`',
  '<<',
  '<<EOF\n',
  '\nEOF',
  '\\',
  '\\\n',
  '#',
  '\n',
  ' ',
  '\t',
  '\r\n',
  '*',
  '?',
  '@',
  '(',
  ')',
  ':',
  '/',
  '%',
  '$',
  '^',
  '|',
  '~',
  'é',
  '\u2028',
  '\u00a0',
  '\ufeff',
  '\u0000',
  '😀',
  '{$X}',
  '{args[0]}',
  '{args[:]}',
  '{block}',
  '{http.request.uri}',
  'import ',
  'import [',
  'import *',
  '(s) {\n}\n',
  '&(r) {\n}\n',
  'not ',
  'route {\n',
  'handle {\n',
  '::1',
  '[::1]:80',
  '0x',
  '-1',
  '99999999999999999999',
  'é^.x',
  'unix//',
  'https://',
  '*.',
  '~^',
  '/*',
  'header ',
  'expression ',
  '@m ',
  "'",
  '=',
  ',',
];

/** One random edit: token deletion, duplication or swap, brace insertion or removal, a byte flip, a special string, or a huge repeat. */
function mutateOnce(text: string, rnd: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const at = () => Math.floor(rnd() * (text.length + 1));
  const parts = text.split(/(\s+)/);
  const tokenIndexes = parts.flatMap((p, i) => (p !== '' && !/^\s+$/.test(p) ? [i] : []));
  const kind = Math.floor(rnd() * 9);
  if (kind <= 2 && tokenIndexes.length) {
    const i = pick(tokenIndexes);
    if (kind === 0) parts[i] = '';
    else if (kind === 1) parts[i] = `${parts[i]} ${parts[i]}`;
    else {
      const j = pick(tokenIndexes);
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
    return parts.join('');
  }
  if (kind === 3) {
    const p = at();
    return text.slice(0, p) + pick(['{', '}', ' {\n', '\n}\n', '{ }']) + text.slice(p);
  }
  if (kind === 4) {
    const braces = [...text.matchAll(/[{}]/g)].map((m) => m.index ?? 0);
    if (braces.length) {
      const p = pick(braces);
      return text.slice(0, p) + text.slice(p + 1);
    }
  }
  if (kind === 5 && text.length) {
    const p = Math.floor(rnd() * text.length);
    return text.slice(0, p) + String.fromCharCode(Math.floor(rnd() * 256)) + text.slice(p + 1);
  }
  if (kind === 6) {
    const p = at();
    const len = 1 + Math.floor(rnd() * 40);
    const piece = text.slice(p, p + len) || 'x';
    const times = pick([100, 1000, 5000]);
    return text.slice(0, p) + piece.repeat(times) + text.slice(p);
  }
  const p = at();
  return text.slice(0, p) + pick(SPECIALS) + text.slice(p);
}

export function mutate(text: string, rnd: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < edits; i++) out = mutateOnce(out, rnd);
  return out;
}

/** A few files for `import` to find, including ones whose names need escaping in a glob. */
export function fuzzFiles(): FileSource {
  const files: Record<string, string> = {
    'snippets/a.caddy': 'respond /a "a"\n',
    'snippets/b.caddy': 'header X-B b\n',
    'snippets/c+d.caddy': 'redir /c /d\n',
    'site.caddy': 'localhost {\n\trespond hi\n}\n',
  };
  return {
    read: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
    isDirectory: (path) => path === 'snippets',
    glob: (pattern) => {
      const slash = pattern.lastIndexOf('/');
      const dir = slash < 0 ? '' : pattern.slice(0, slash + 1);
      const name = globNameRegExp(pattern.slice(slash + 1));
      return Object.keys(files)
        .filter((f) => f.startsWith(dir) && !f.slice(dir.length).includes('/') && name.test(f.slice(dir.length)))
        .sort();
    },
  };
}

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'error'; message: string }
  | { kind: 'bad'; why: string; message: string };

/**
 * Adapts (and compiles, when adapting succeeds) one input. Good outcomes: success, a CaddyfileError whose message
 * names the file:line it carries, or a ConfigError from compiling (which names the JSON path: the adapted JSON has
 * no lines). Anything else is a defect.
 */
export function check(input: string): Outcome {
  let config;
  try {
    config = adaptCaddyfile(input, { filename: 'Caddyfile', env: { X: 'x y' }, files: fuzzFiles() }).config;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof CaddyfileError)) return { kind: 'bad', why: `adapt threw ${(e as Error)?.name}`, message };
    if (e.file === undefined || e.line === undefined || !message.includes(`${e.file}:${e.line}`)) {
      return { kind: 'bad', why: 'adapt error names no file:line', message };
    }
    return { kind: 'error', message };
  }
  try {
    compileConfig(config);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof ConfigError)) return { kind: 'bad', why: `compile threw ${(e as Error)?.name}`, message };
    return { kind: 'error', message };
  }
  return { kind: 'ok' };
}
