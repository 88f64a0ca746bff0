/// <reference path="../text-modules.d.ts" />
// The Caddyfile bundled with the Worker, as scripts/pre-adapt-caddyfile.mjs wrote it before wrangler bundled (and
// before the Workers tests ran): the text and its JSON in one Text module (see wrangler.toml). The script reads
// the Caddyfile, so no other file is bundled: a deploy, which bakes its own config, and the published package
// bundle an empty one, and a demo Caddyfile cannot leak into a user's Worker.
import adapted from '../../build/bundled-caddyfile.adapted';
import type { CaddyConfigJSON } from './caddy-json.ts';

const pre = JSON.parse(adapted) as { caddyfile: string; config: CaddyConfigJSON | null };

export const bundledCaddyfile: string = pre.caddyfile;

/**
 * The bundled Caddyfile's JSON as the build adapted it, or undefined when it has `{$VAR}` placeholders (their
 * values are the Worker's vars) or did not adapt. Then the Worker adapts it itself.
 */
export function preAdaptedCaddyfile(): CaddyConfigJSON | undefined {
  return pre.config ?? undefined;
}
