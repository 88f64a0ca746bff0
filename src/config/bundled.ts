/// <reference path="../text-modules.d.ts" />
// The Caddyfile bundled with the Worker (a Text module, see wrangler.toml). Kept in its own module so a build
// without the file fails here, in one obvious place.
import caddyfile from '../../Caddyfile';

export const bundledCaddyfile: string = caddyfile;
