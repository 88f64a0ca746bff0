import { compileConfig } from '../config/compile.ts';
import { CliError, type Command } from './command.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { ignoredLine, warningLine } from './log.ts';

/** `gatehouse adapt`: prints the Caddy JSON a Caddyfile becomes, exactly what `caddy adapt` prints. */
export const adaptCommand: Command = {
  name: 'adapt',
  usage: '[--config <path>] [--adapter <name>] [--pretty] [--validate]',
  short: 'Adapts a configuration to Caddy JSON without running it',
  long: "Adapts the Caddyfile to Caddy's native JSON and prints it to stdout. Warnings go to stderr. With --validate the result is also compiled as Gatehouse would serve it.",
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Configuration file to adapt (default ./Caddyfile)' },
    { name: 'adapter', short: 'a', kind: 'string', help: 'Name of config adapter (caddyfile)' },
    { name: 'pretty', short: 'p', kind: 'bool', help: 'Format the output for human readability' },
    { name: 'validate', kind: 'bool', help: 'Validate the output' },
  ],
  async run(args, ctx) {
    const path = configPath(args.strings.get('config'), ctx);
    const loaded = await loadConfig(path, chooseAdapter(path, args.strings.get('adapter') ?? 'caddyfile'), ctx);
    for (const w of loaded.warnings) ctx.err(warningLine(w));
    if (loaded.ignored.length) ctx.err(ignoredLine(loaded.ignored));
    if (args.bools.has('validate')) {
      try {
        compileConfig(loaded.config);
      } catch (e) {
        throw new CliError(`validation: ${(e as Error).message}`);
      }
    }
    // Caddy prints tab-indented JSON with --pretty and compact JSON otherwise.
    ctx.out(`${JSON.stringify(loaded.config, null, args.bools.has('pretty') ? '\t' : undefined)}\n`);
    return 0;
  },
};
