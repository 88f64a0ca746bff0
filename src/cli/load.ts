import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { adaptCaddyfile } from '../adapt/index.ts';
import type { Warning } from '../adapt/helper.ts';
import type { CaddyConfigJSON } from '../config/caddy-json.ts';
import { CliError } from './command.ts';
import type { CliContext } from './context.ts';
import { nodeFileSource } from './node-files.ts';

/** The config file Caddy looks for when no --config is given. */
export const DEFAULT_CONFIG = 'Caddyfile';

export interface LoadedConfig {
  /** The path as the user gave it (used in error messages, as Caddy does). */
  filename: string;
  /** 'caddyfile', or '' for a JSON config taken as-is. */
  adapter: string;
  config: CaddyConfigJSON;
  warnings: Warning[];
  ignored: string[];
}

/** `--config` or, when absent, ./Caddyfile if it exists (Caddy's configFileWithRespectToDefault). */
export function configPath(flag: string | undefined, ctx: CliContext): string {
  if (flag) return flag;
  if (existsSync(resolve(ctx.cwd, DEFAULT_CONFIG))) return DEFAULT_CONFIG;
  throw new CliError('input file required when there is no Caddyfile in current directory (use --config flag)');
}

/**
 * Which adapter reads the file: an explicit `--adapter caddyfile`; otherwise a name starting with "caddyfile" or
 * ending in ".caddyfile" (case-insensitive) is a Caddyfile and anything else is JSON (Caddy's isCaddyfile rule).
 */
export function chooseAdapter(path: string, adapterFlag: string | undefined): string {
  if (adapterFlag !== undefined && adapterFlag !== '' && adapterFlag !== 'caddyfile') {
    throw new CliError(`unrecognized config adapter: ${adapterFlag}`);
  }
  if (adapterFlag === 'caddyfile') return 'caddyfile';
  const base = basename(path).toLowerCase();
  if (extname(base) === '.json') return '';
  return base.startsWith('caddyfile') || base.endsWith('.caddyfile') ? 'caddyfile' : '';
}

export async function readInput(path: string, ctx: CliContext): Promise<string> {
  if (path === '-') return ctx.readStdin();
  try {
    return readFileSync(resolve(ctx.cwd, path), 'utf8');
  } catch (e) {
    throw new CliError(`reading input file: ${describeFsError(e, path)}`);
  }
}

/** Adapts a Caddyfile to Caddy JSON, with `{$VAR}` from the environment and imports read from disk. */
export function adaptText(text: string, filename: string, ctx: CliContext): Omit<LoadedConfig, 'adapter'> {
  const result = adaptCaddyfile(text, { filename, env: ctx.env, files: nodeFileSource(ctx.cwd) });
  return { filename, config: result.config, warnings: result.warnings, ignored: result.ignored };
}

/** Reads a config file and turns it into Caddy JSON (adapting a Caddyfile, parsing a JSON file). */
export async function loadConfig(path: string, adapter: string, ctx: CliContext): Promise<LoadedConfig> {
  const text = await readInput(path, ctx);
  if (adapter === 'caddyfile') return { adapter, ...adaptText(text, path, ctx) };
  return { filename: path, adapter, config: parseJsonConfig(text), warnings: [], ignored: [] };
}

/** A JSON config must at least be a JSON object; the message follows Caddy's hint about adapters. */
export function parseJsonConfig(text: string): CaddyConfigJSON {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `config is not valid JSON: ${(e as Error).message}; did you mean to use a config adapter (the --adapter flag)?`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError('decoding config: the top level of a config must be a JSON object');
  }
  return value as CaddyConfigJSON;
}

function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${path}: no such file or directory`;
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  if (code === 'EACCES') return `open ${path}: permission denied`;
  return `${path}: ${(e as Error).message}`;
}
