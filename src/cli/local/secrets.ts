import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The secrets a local runtime takes from the environment when set there (a deployment has them as Worker secrets). */
export const secretNames = ['ADMIN_TOKEN', 'METRICS_TOKEN'] as const;

/**
 * The Worker's secrets for `run` and `selfhost`: every entry of `.dev.vars` in the current directory (wrangler's
 * file for local secrets), then ADMIN_TOKEN and METRICS_TOKEN from the environment, which win. They end up in a
 * 0600 file, never on a command line.
 */
export function localSecrets(cwd: string, env: Record<string, string | undefined>): Record<string, string> {
  const path = join(cwd, '.dev.vars');
  const out = existsSync(path) ? parseDevVars(readFileSync(path, 'utf8')) : {};
  for (const name of secretNames) {
    const value = env[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** dotenv lines: `NAME=value`, optionally `export NAME=…`, value optionally in single or double quotes; `#` comments. */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trimEnd();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    out[m[1]] = value;
  }
  return out;
}
