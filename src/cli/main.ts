import { adminClientCommands } from './admin-client.ts';
import { adaptCommand } from './adapt.ts';
import { describeFlags, parseArgs, UsageError, type FlagSpec } from './args.ts';
import { CliError, type Command } from './command.ts';
import { processContext, type CliContext } from './context.ts';
import { deployCommand } from './deploy.ts';
import { fmtCommand } from './fmt.ts';
import { initCommand } from './init.ts';
import { runCommand } from './run.ts';
import { selfhostCommand } from './selfhost.ts';
import { validateCommand } from './validate.ts';
import { CaddyfileError } from '../caddyfile/errors.ts';

/** The `gatehouse` CLI: Caddy's verbs where they fit (run, adapt, validate, fmt), plus deploy and admin clients. */
const commands: Command[] = [
  initCommand,
  runCommand,
  adaptCommand,
  validateCommand,
  fmtCommand,
  deployCommand,
  selfhostCommand,
  ...adminClientCommands,
];

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === 'help' || verb === '--help' || verb === '-h') {
    const command = commands.find((c) => c.name === rest[0]);
    ctx.out(command ? usage(command) : overview());
    return 0;
  }
  if (verb === 'version' || verb === '--version') {
    ctx.out('gatehouse 0.1.0 (Caddyfile semantics of Caddy v2)\n');
    return 0;
  }
  const command = commands.find((c) => c.name === verb);
  if (!command) {
    ctx.err(`Error: unknown command "${verb}"\n\n${overview()}`);
    return 1;
  }
  try {
    const args = parseArgs(rest, [...command.flags, HELP_FLAG]);
    if (args.bools.has('help')) {
      ctx.out(usage(command));
      return 0;
    }
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err(`Error: ${e.message}\n\n${usage(command)}`);
      return 1;
    }
    if (e instanceof CliError || e instanceof CaddyfileError) {
      ctx.err(`Error: ${e.message}\n`);
      return 1;
    }
    ctx.err(`Error: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

/** Every verb takes -h/--help, as Caddy's (cobra) verbs do. */
const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', help: `Help for this command` };

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.short}`);
  return `Gatehouse: the Caddyfile on Cloudflare Workers.\n\nUsage:\n  gatehouse <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nUse "gatehouse help <command>" for more about a command.\n`;
}

function usage(c: Command): string {
  return `Usage:\n  gatehouse ${c.name} ${c.usage}\n\n${c.long}\n\nFlags:\n${describeFlags([...c.flags, HELP_FLAG])}\n`;
}
