import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { CliError, type Command } from './command.ts';
import { GITIGNORE_LINES, isWorkerName, STARTER_CADDYFILE, starterWranglerToml, workerNameFrom } from './init-files.ts';
import { packageRoot } from './project.ts';

/**
 * `gatehouse init`: makes the current directory a Gatehouse project: a starter Caddyfile, a wrangler.toml for the
 * user's Worker and .gitignore lines. Existing files are left alone and named, never overwritten.
 */
export const initCommand: Command = {
  name: 'init',
  usage: '[--name <worker>]',
  short: 'Writes a starter Caddyfile and wrangler.toml into the current directory',
  long:
    'Creates ./Caddyfile and ./wrangler.toml (the Worker, its Durable Objects, commented routes and custom domain) ' +
    'and adds .dev.vars, .gatehouse/ and .wrangler/ to .gitignore. A file that exists is skipped and named. The ' +
    'Worker is named after the directory unless --name says otherwise.',
  flags: [{ name: 'name', kind: 'string', help: 'Worker name (default: the directory name, lowercased)' }],
  async run(args, ctx) {
    const flag = args.strings.get('name');
    if (flag !== undefined && !isWorkerName(flag)) {
      throw new CliError(
        `--name "${flag}": a Worker name is lowercase letters, digits and dashes (at most 63), not starting or ending with a dash`,
      );
    }
    const name = flag ?? workerNameFrom(basename(ctx.cwd));
    const packageDir = installedPackageDir(ctx.cwd);
    if (!existsSync(join(ctx.cwd, packageDir, 'package.json'))) {
      ctx.err(`gatehouse: ${packageDir} is not there yet: run "npm install --save-dev gatehouse" before building\n`);
    }
    const files: Array<[string, string]> = [
      ['Caddyfile', STARTER_CADDYFILE],
      ['wrangler.toml', starterWranglerToml(name, packageDir)],
    ];
    for (const [file, text] of files) {
      try {
        writeFileSync(join(ctx.cwd, file), text, { flag: 'wx' });
        ctx.err(`gatehouse: wrote ${file}\n`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new CliError(`writing ${file}: ${(e as Error).message}`);
        ctx.err(`gatehouse: skipped ${file}: it exists (left unchanged)\n`);
      }
    }
    ctx.err(addGitignoreLines(join(ctx.cwd, '.gitignore')));
    ctx.err(`gatehouse: Worker "${name}". Next: npx gatehouse run, then npx gatehouse deploy\n`);
    return 0;
  },
};

/**
 * Where wrangler.toml finds the package, relative to the project: node_modules/gatehouse when it is there (also as
 * a pnpm symlink, whose target changes with each version), else where this CLI runs from if that is inside the
 * project, else node_modules/gatehouse, where `npm install` will put it (this CLI came from npx's cache).
 */
function installedPackageDir(cwd: string): string {
  const standard = 'node_modules/gatehouse';
  if (existsSync(join(cwd, standard, 'package.json'))) return standard;
  const running = relative(cwd, packageRoot());
  if (running && !running.startsWith('..') && !isAbsolute(running)) return running.split(sep).join('/');
  return standard;
}

/** Appends the lines .gitignore lacks; returns what it did. */
function addGitignoreLines(path: string): string {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_LINES.filter((l) => !present.has(l) && !present.has(l.replace(/\/$/, '')));
  if (!missing.length) return 'gatehouse: .gitignore already ignores .dev.vars, .gatehouse/ and .wrangler/\n';
  const lead = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(path, `${lead}${missing.join('\n')}\n`);
  return `gatehouse: ${text ? 'added to' : 'wrote'} .gitignore: ${missing.join(' ')}\n`;
}
