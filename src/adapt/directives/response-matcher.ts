import type { Dispenser } from '../../caddyfile/dispenser.ts';
import { mapMatchers } from '../matchers/maps.ts';
import { atoi, nextArg } from './util.ts';
import type { ResponseMatcherJSON } from './header-ops.ts';

/**
 * Caddy's ParseNamedResponseMatcher: a `<name> [status …|header …]` line or a `<name> { status …; header … }` block,
 * used by `header … { match … }` (and reverse_proxy's `@name` response matchers). The dispenser starts before the
 * name token.
 */
export function parseResponseMatcher(d: Dispenser): ResponseMatcherJSON {
  d.next(); // the matcher's name
  const m: ResponseMatcherJSON = {};
  for (const n = d.nesting(); nextArg(d) || d.nextBlock(n); ) {
    switch (d.val()) {
      case 'header': {
        const parsed = mapMatchers.header(d.newFromNextSegment(), { name: '' }) as Record<string, string[] | null>;
        // repeated `header` lines add to the same field (Go's Header.Add)
        const headers = (m.headers ??= {});
        for (const [k, v] of Object.entries(parsed)) {
          const prev = headers[k];
          headers[k] = v === null ? null : [...(prev ?? []), ...v];
        }
        break;
      }
      case 'status': {
        const codes = (m.status_code ??= []);
        const args = d.remainingArgs();
        if (args.length === 0) throw d.argErr();
        for (let arg of args) {
          // `2xx` is stored as the class digit 2
          if (arg.length === 3 && arg.endsWith('xx')) arg = arg.slice(0, 1);
          const n = atoi(arg);
          if (n === undefined) throw d.err(`bad status value '${arg}': strconv.Atoi: parsing "${arg}": invalid syntax`);
          codes.push(n);
        }
        break;
      }
      default:
        throw d.err(`unrecognized response matcher ${d.val()}`);
    }
  }
  return m;
}
