// Command-line flags in the style Caddy's CLI uses (spf13/pflag): `--name value`, `--name=value`, `-n value`,
// boolean flags without a value, and positional arguments in between.

/** One flag a verb accepts. */
export interface FlagSpec {
  name: string;
  /** One-letter alias, as Caddy has (`-c` for `--config`). */
  short?: string;
  kind: 'string' | 'bool';
  help: string;
}

export interface ParsedArgs {
  strings: Map<string, string>;
  bools: Set<string>;
  positional: string[];
}

/** A mistake in how the CLI was called; main prints it with the verb's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const out: ParsedArgs = { strings: new Map(), bools: new Set(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // A lone "-" is a positional (stdin), and "--" ends the flags.
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs.find((s) => (long ? s.name === name : s.short === name));
    if (!spec) throw new UsageError(`unknown flag: ${arg.split('=')[0]}`);
    if (spec.kind === 'bool') {
      const value = eq >= 0 ? body.slice(eq + 1) : 'true';
      if (value !== 'true' && value !== 'false')
        throw new UsageError(`invalid value "${value}" for flag --${spec.name}`);
      if (value === 'true') out.bools.add(spec.name);
      else out.bools.delete(spec.name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined) throw new UsageError(`flag needs an argument: --${spec.name}`);
    out.strings.set(spec.name, value);
  }
  return out;
}

/** The flag lines of a verb's help text. */
export function describeFlags(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'string' ? ' <value>' : ''}`;
    return [names, s.help];
  });
  const width = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([names, help]) => `  ${names.padEnd(width)}  ${help}`).join('\n');
}
