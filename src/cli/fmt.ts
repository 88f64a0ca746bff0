import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatCaddyfile } from '../caddyfile/formatter.ts';
import { CliError, type Command } from './command.ts';

/** `gatehouse fmt`: formats a Caddyfile the way `caddy fmt` does. */
export const fmtCommand: Command = {
  name: 'fmt',
  usage: '[--overwrite] [--diff] [<path>]',
  short: 'Formats a Caddyfile',
  long: 'Prints the formatted Caddyfile to stdout, or writes it back with --overwrite. With --diff, prints changed lines and exits 1 if the file is not formatted. "-" reads stdin.',
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
      if (output === input) return 0;
      const a = input.split('\n');
      const b = output.split('\n');
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (a[i] === b[i]) continue;
        if (a[i] !== undefined) ctx.out(`- ${a[i]}\n`);
        if (b[i] !== undefined) ctx.out(`+ ${b[i]}\n`);
      }
      return 1;
    }
    ctx.out(output);
    return 0;
  },
};
