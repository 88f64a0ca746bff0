import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatCaddyfile } from '../caddyfile/formatter.ts';
import { CliError, type Command } from './command.ts';
import { lineDiff } from './line-diff.ts';

/** `gatehouse fmt`: formats a Caddyfile the way `caddy fmt` does. */
export const fmtCommand: Command = {
  name: 'fmt',
  usage: '[--overwrite] [--diff] [<path>]',
  short: 'Formats a Caddyfile',
  long: 'Prints the formatted Caddyfile to stdout, or writes it back with --overwrite. With --diff, prints the file as a diff against its formatted form (as caddy fmt --diff does) and exits 1 if they differ. "-" reads stdin.',
  flags: [
    { name: 'overwrite', short: 'w', kind: 'bool', help: 'Overwrite the input file with the results' },
    { name: 'diff', short: 'd', kind: 'bool', help: 'Print the differences and exit 1 if the file is not formatted' },
  ],
  async run(args, ctx) {
    const path = args.positional[0] ?? 'Caddyfile';
    let input: string;
    try {
      input = path === '-' ? await ctx.readStdin() : readFileSync(resolve(ctx.cwd, path), 'utf8');
    } catch (e) {
      throw new CliError(`reading input file: ${(e as Error).message}`);
    }
    const output = formatCaddyfile(input);
    if (args.bools.has('overwrite')) {
      if (path === '-') throw new CliError('cannot overwrite stdin');
      writeFileSync(resolve(ctx.cwd, path), output);
      return 0;
    }
    if (args.bools.has('diff')) {
      ctx.out(lineDiff(input.split('\n'), output.split('\n')));
      // Unlike caddy fmt --diff, the exit status tells a script (CI) whether the file needs formatting.
      return output === input ? 0 : 1;
    }
    ctx.out(output);
    return 0;
  },
};
