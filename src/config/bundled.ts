/// <reference path="../text-modules.d.ts" />
// The Caddyfile bundled with the Worker (a Text module, see wrangler.toml). Kept in its own module so a build
// without the file fails here, in one obvious place.
import caddyfile from '../../Caddyfile';
// Written by scripts/pre-adapt-caddyfile.mjs before wrangler bundles (and before the Workers tests run).
import adapted from '../../build/bundled-caddyfile.adapted';
import type { CaddyConfigJSON } from './caddy-json.ts';

export const bundledCaddyfile: string = caddyfile;

/**
 * The bundled Caddyfile's JSON as the build adapted it, or undefined: when it has `{$VAR}` placeholders (their
 * values are the Worker's vars), did not adapt, or was adapted from other text than the one bundled (a stale
 * build output). Then the Worker adapts it itself.
 */
export function preAdaptedCaddyfile(): CaddyConfigJSON | undefined {
  const pre = JSON.parse(adapted) as { caddyfile: string; config: CaddyConfigJSON | null };
  return pre.caddyfile === caddyfile && pre.config ? pre.config : undefined;
}
