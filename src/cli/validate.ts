import { compileConfig } from '../config/compile.ts';
import { CliError, type Command } from './command.ts';
import { chooseAdapter, configPath, loadConfig } from './load.ts';
import { ignoredLine, warningLine } from './log.ts';

/** `gatehouse validate`: adapts and compiles the config as the Worker would, without serving it. */
export const validateCommand: Command = {
  name: 'validate',
  usage: '[--config <path>] [--adapter <name>]',
  short: 'Tests whether a configuration file is valid',
  long: "Adapts the configuration and compiles it into Gatehouse's route tree, so unsupported directives and handlers are reported with their location. Exits 0 if valid, 1 otherwise.",
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Input configuration file (default ./Caddyfile)' },
    { name: 'adapter', short: 'a', kind: 'string', help: 'Name of config adapter (caddyfile)' },
  ],
  async run(args, ctx) {
    const path = configPath(args.strings.get('config'), ctx);
    const loaded = await loadConfig(path, chooseAdapter(path, args.strings.get('adapter')), ctx);
    for (const w of loaded.warnings) ctx.err(warningLine(w));
    if (loaded.ignored.length) ctx.err(ignoredLine(loaded.ignored));
    try {
      compileConfig(loaded.config);
    } catch (e) {
      throw new CliError(`${path}: ${(e as Error).message}`);
    }
    ctx.out('Valid configuration\n');
    return 0;
  },
};
