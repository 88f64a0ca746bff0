/**
 * Caddyfile `{$NAME}` / `{$NAME:default}` substitution, done on the raw text before lexing, so a
 * value may expand to part of a token, several tokens or nothing. The default applies only when NAME is unset
 * (set-but-empty stays empty); `{$}` is left alone; replacement text is not scanned again.
 */
export function substituteEnv(input: string, env: Record<string, string | undefined> = {}): string {
  let out = '';
  let offset = 0;
  for (;;) {
    const begin = input.indexOf('{$', offset);
    if (begin < 0) break;
    const end = input.indexOf('}', begin + 2);
    if (end < 0) break;
    const spec = input.slice(begin + 2, end);
    out += input.slice(offset, begin);
    offset = end + 1;
    if (spec === '') {
      out += '{$}';
      continue;
    }
    const colon = spec.indexOf(':');
    const name = colon < 0 ? spec : spec.slice(0, colon);
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    out += value ?? (colon < 0 ? '' : spec.slice(colon + 1));
  }
  return offset === 0 ? input : out + input.slice(offset);
}
