/**
 * The wrangler config `gatehouse deploy` runs with: wrangler.toml plus a [define] table that bakes the adapted
 * config into the bundle as GATEHOUSE_BAKED_CONFIG (src/config/active.ts), with GATEHOUSE_DEPLOYED_AT, which orders
 * deploys in the config store (a changed config becomes active once, at its deploy). A file instead of `--define`,
 * so the config is on no command line. wrangler does not inherit `define` into environments, so with --env the table
 * is that environment's.
 */
export function deployWranglerConfig(wranglerToml: string, configJson: string, env: string | undefined, deployedAt: number): string {
  const table = env ? `[env.${JSON.stringify(env)}.define]` : '[define]';
  // A define value is JavaScript source: the JSON text as a string literal. JSON string escapes are TOML's too.
  return `${wranglerToml.replace(/\n*$/, '\n')}\n${table}\nGATEHOUSE_BAKED_CONFIG = ${JSON.stringify(JSON.stringify(configJson))}\nGATEHOUSE_DEPLOYED_AT = "${deployedAt}"\n`;
}
