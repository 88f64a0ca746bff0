import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's caddy 2.6.2, the behaviour oracle; `.ci/run` installs it. Parity tests skip (and say so) without it. */
export const CADDY = ['/usr/bin/caddy', '/usr/local/bin/caddy'].find((p) => existsSync(p));

export function caddyVersion(): string {
  return CADDY ? execFileSync(CADDY, ['version'], { encoding: 'utf8' }).trim() : 'absent';
}

/** `caddy adapt` output as parsed JSON, or the error text. */
export function caddyAdapt(path: string, env: Record<string, string> = {}): { json?: unknown; error?: string } {
  const res = spawnSync(CADDY!, ['adapt', '--config', path, '--adapter', 'caddyfile'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (res.status !== 0) return { error: (res.stderr || res.stdout).trim() };
  return { json: JSON.parse(res.stdout) };
}
