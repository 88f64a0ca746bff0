import { adaptCaddyfile } from '../adapt/index.ts';
import type { Warning } from '../adapt/helper.ts';
import type { CaddyConfigJSON } from '../config/caddy-json.ts';
import { compileConfig } from '../config/compile.ts';

/** A config ready to store: JSON text that adapted (if it was a Caddyfile) and compiled. */
export interface PreparedConfig {
  json: string;
  caddyfile?: string;
  warnings: Warning[];
}

/**
 * Turns an admin request body into a validated config, as Caddy's `/load` picks the adapter from Content-Type
 * (`text/caddyfile`; JSON otherwise). Throws an Error whose message is the user-facing reason (file:line for
 * Caddyfiles); validation compiles the config so an unsupported handler is refused here, not at request time.
 */
export function prepareConfig(
  body: string,
  contentType: string,
  env: Record<string, string | undefined>,
): PreparedConfig {
  const isCaddyfile = /(^|\/)caddyfile\b/i.test(contentType.split(';')[0].trim());
  let config: CaddyConfigJSON;
  let warnings: Warning[] = [];
  if (isCaddyfile) {
    const adapted = adaptCaddyfile(body, { filename: 'Caddyfile', env });
    config = adapted.config;
    warnings = adapted.warnings;
  } else {
    if (contentType !== '' && !/\/json\b/i.test(contentType)) {
      throw new Error(
        `unrecognized config adapter for Content-Type '${contentType}'; use application/json or text/caddyfile`,
      );
    }
    config = parseJsonObject(body);
  }
  compileConfig(config);
  return { json: JSON.stringify(config), caddyfile: isCaddyfile ? body : undefined, warnings };
}

function parseJsonObject(body: string): CaddyConfigJSON {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new Error(`config is not valid JSON: ${(e as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('config must be a JSON object');
  return value as CaddyConfigJSON;
}
