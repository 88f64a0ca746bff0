import type { FlagSpec, ParsedArgs } from './args.ts';
import type { CliContext } from './context.ts';

/** One verb of the CLI (`gatehouse <name> …`); each lives in its own file under src/cli/. */
export interface Command {
  name: string;
  /** Argument synopsis after the verb, e.g. `--config <path> [--pretty]`. */
  usage: string;
  /** One line for the verb list. */
  short: string;
  /** Paragraph for `gatehouse help <verb>`. */
  long: string;
  flags: FlagSpec[];
  /** Returns the process exit code. */
  run(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** A failure the user can act on (missing file, bad flag value); printed as `Error: <message>`, exit 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
