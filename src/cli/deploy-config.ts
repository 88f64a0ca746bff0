/**
 * The wrangler config `gatehouse deploy` runs with: wrangler.toml plus a [define] table that bakes the adapted
 * config into the bundle as GATEHOUSE_BAKED_CONFIG (src/config/active.ts), with GATEHOUSE_DEPLOYED_AT, which orders
 * deploys in the config store (a changed config becomes active once, at its deploy). A file instead of `--define`,
 * so the config is on no command line. wrangler does not inherit `define` into environments, so with --env the table
 * is that environment's. With `assetsDir` (src/cli/assets-dir.ts) it adds the [assets] table: the Worker runs first, and
 * the binding's own html and not-found handling is off, so that Caddy's file_server semantics are Gatehouse's.
 */
export function deployWranglerConfig(
  wranglerToml: string,
  configJson: string,
  env: string | undefined,
  deployedAt: number,
  assetsDir?: string,
): string {
  const table = env ? `[env.${JSON.stringify(env)}.define]` : '[define]';
  // A define value is JavaScript source: the JSON text as a string literal. JSON string escapes are TOML's too.
  const define = `${table}\nGATEHOUSE_BAKED_CONFIG = ${JSON.stringify(JSON.stringify(configJson))}\nGATEHOUSE_DEPLOYED_AT = "${deployedAt}"\n`;
  return `${wranglerToml.replace(/\n*$/, '\n')}\n${define}${assetsDir === undefined ? '' : assetsTable(assetsDir)}`;
}

function assetsTable(dir: string): string {
  const table = `directory = ${JSON.stringify(dir)}\nbinding = "ASSETS"\nrun_worker_first = true\nhtml_handling = "none"\nnot_found_handling = "none"\n`;
  return `\n[assets]\n${table}`;
}
