import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlagSpec, ParsedArgs } from './args.ts';
import { CliError, type Command } from './command.ts';
import type { CliContext } from './context.ts';

/**
 * `gatehouse push|rollout|promote|rollback|versions`: clients of a deployed Gatehouse's admin API. The token comes
 * from GATEHOUSE_ADMIN_TOKEN (never a flag, so it stays out of shell history and process lists).
 */

const ADMIN_FLAG: FlagSpec = {
  name: 'admin',
  kind: 'string',
  help: 'Admin API base URL, e.g. https://gw.example.com/gatehouse-admin (default: $GATEHOUSE_ADMIN)',
};
const NOTE_FLAG: FlagSpec = { name: 'note', kind: 'string', help: 'Note stored with the new version' };

interface AdminCall {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** A field every answer of this endpoint has: a wrong --admin path reaches the site's routes, whose 200 is not one. */
  answerHas?: string;
}

async function callAdmin(args: ParsedArgs, ctx: CliContext, call: AdminCall): Promise<unknown> {
  const base = (args.strings.get('admin') ?? ctx.env.GATEHOUSE_ADMIN ?? '').replace(/\/+$/, '');
  if (!base) throw new CliError('which Gatehouse? pass --admin URL or set GATEHOUSE_ADMIN');
  const token = ctx.env.GATEHOUSE_ADMIN_TOKEN;
  if (!token) throw new CliError('set GATEHOUSE_ADMIN_TOKEN to the admin token (the ADMIN_TOKEN secret of the Worker)');
  let res: Response;
  try {
    res = await fetch(base + call.path, {
      method: call.method,
      body: call.body,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(call.contentType ? { 'Content-Type': call.contentType } : {}),
        ...call.headers,
      },
    });
  } catch (e) {
    throw new CliError(`cannot reach ${base}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) {
    const message =
      body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : text;
    throw new CliError(`${call.method} ${call.path}: ${res.status} ${message}`);
  }
  if (call.answerHas && (body === null || typeof body !== 'object' || !(call.answerHas in body))) {
    throw new CliError(
      `${base}${call.path} did not answer as the Gatehouse admin API; is --admin its base URL (e.g. https://gw.example.com/gatehouse-admin)?`,
    );
  }
  return body;
}

function configBody(path: string, ctx: CliContext): { body: string; contentType: string } {
  let body: string;
  try {
    body = readFileSync(resolve(ctx.cwd, path), 'utf8');
  } catch (e) {
    throw new CliError(`reading ${path}: ${(e as Error).message}`);
  }
  const json = path.toLowerCase().endsWith('.json');
  return { body, contentType: json ? 'application/json' : 'text/caddyfile' };
}

function printState(ctx: CliContext, value: unknown): void {
  const s = value as { revision: number; active: number | null; candidate: number | null; percent: number };
  const rollout = s.candidate === null ? 'no rollout' : `version ${s.candidate} serves ${s.percent}% of clients`;
  ctx.out(`active: version ${s.active ?? '-'}; ${rollout} (revision ${s.revision})\n`);
}

export const pushCommand: Command = {
  name: 'push',
  usage: '[--config <file>] [--admin <url>] [--note <text>]',
  short: 'Loads a config into a running Gatehouse (admin POST /load)',
  long: 'Sends the Caddyfile (or JSON config) to the admin API, which validates it and makes it active everywhere.',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'Config file (default ./Caddyfile)' },
    ADMIN_FLAG,
    NOTE_FLAG,
  ],
  async run(args, ctx) {
    const { body, contentType } = configBody(args.strings.get('config') ?? 'Caddyfile', ctx);
    const note = args.strings.get('note');
    const answer = await callAdmin(args, ctx, {
      method: 'POST',
      path: '/load',
      body,
      contentType,
      headers: note ? { 'X-Gatehouse-Note': note } : {},
    });
    // Warnings come as an array, or inside the "unchanged" answer to a config identical to the active one.
    const unchanged =
      answer !== null && typeof answer === 'object' && (answer as { status?: unknown }).status === 'unchanged';
    const warnings = unchanged ? (answer as { warnings?: unknown }).warnings : answer;
    if (Array.isArray(warnings)) for (const w of warnings) ctx.err(`warning: ${JSON.stringify(w)}\n`);
    if (unchanged) ctx.out(`unchanged: version ${(answer as { version: number }).version} is already active\n`);
    printState(ctx, await callAdmin(args, ctx, { method: 'GET', path: '/config/versions', answerHas: 'revision' }));
    return 0;
  },
};

export const rolloutCommand: Command = {
  name: 'rollout',
  usage: '(--config <file> | --version <id>) --percent <n> [--admin <url>]',
  short: 'Serves a new or earlier config version to a percentage of clients',
  long: 'Starts a staged rollout: the candidate serves --percent of clients (sticky per client), the rest stay on the active version.',
  flags: [
    { name: 'config', short: 'c', kind: 'string', help: 'New config file to roll out' },
    { name: 'version', kind: 'string', help: 'Existing version id to roll out' },
    { name: 'percent', kind: 'string', help: 'Share of clients, 0-100' },
    ADMIN_FLAG,
    NOTE_FLAG,
  ],
  async run(args, ctx) {
    const percent = Number(args.strings.get('percent'));
    if (!args.strings.has('percent') || !(percent >= 0 && percent <= 100))
      throw new CliError('--percent must be from 0 to 100');
    const payload: Record<string, unknown> = { percent, note: args.strings.get('note') };
    const file = args.strings.get('config');
    if (file) {
      const { body, contentType } = configBody(file, ctx);
      if (contentType === 'application/json') payload.config = JSON.parse(body);
      else payload.caddyfile = body;
    } else if (args.strings.has('version')) {
      payload.version = Number(args.strings.get('version'));
    } else {
      throw new CliError('rollout needs --config <file> or --version <id>');
    }
    printState(
      ctx,
      await callAdmin(args, ctx, {
        method: 'POST',
        path: '/config/rollout',
        body: JSON.stringify(payload),
        contentType: 'application/json',
        answerHas: 'revision',
      }),
    );
    return 0;
  },
};

export const promoteCommand: Command = {
  name: 'promote',
  usage: '[--admin <url>]',
  short: 'Makes the rollout candidate the active config for everyone',
  long: 'Ends a staged rollout by making its candidate version active.',
  flags: [ADMIN_FLAG],
  async run(args, ctx) {
    printState(ctx, await callAdmin(args, ctx, { method: 'POST', path: '/config/promote', answerHas: 'revision' }));
    return 0;
  },
};

export const rollbackCommand: Command = {
  name: 'rollback',
  usage: '[--to <id>] [--admin <url>]',
  short: 'Aborts a rollout, else returns to the previous (or a given) config version',
  long:
    'With a rollout in flight, aborts it: the candidate stops serving and the active version is untouched. Without ' +
    'one, steps back to the version active before the current one; repeated rollbacks walk further back. ' +
    '--to <id> activates that version for everyone (ending any rollout).',
  flags: [
    { name: 'to', kind: 'string', help: 'Version id to activate' },
    { name: 'version', kind: 'string', help: 'Same as --to' },
    ADMIN_FLAG,
  ],
  async run(args, ctx) {
    const version = args.strings.get('to') ?? args.strings.get('version');
    if (version !== undefined && !/^\d+$/.test(version)) throw new CliError('--to must be a version id');
    const body = version === undefined ? '' : JSON.stringify({ version: Number(version) });
    printState(
      ctx,
      await callAdmin(args, ctx, {
        method: 'POST',
        path: '/config/rollback',
        body,
        contentType: 'application/json',
        answerHas: 'revision',
      }),
    );
    return 0;
  },
};

export const versionsCommand: Command = {
  name: 'versions',
  usage: '[--admin <url>]',
  short: 'Lists config versions and the rollout state',
  long: 'Shows every stored config version, newest first, and which one is active or rolling out.',
  flags: [ADMIN_FLAG],
  async run(args, ctx) {
    const v = (await callAdmin(args, ctx, { method: 'GET', path: '/config/versions', answerHas: 'revision' })) as {
      active: number | null;
      candidate: number | null;
      percent: number;
      deployed?: number | null;
      versions: Array<{ id: number; hash: string; source: string; note: string; createdAt: number }>;
    };
    for (const row of v.versions) {
      const state = row.id === v.active ? 'active' : row.id === v.candidate ? `rollout ${v.percent}%` : '';
      // The deployed version serves unless an admin change replaced it; the next changed deploy wins again.
      const mark = row.id === v.deployed ? (state ? `${state},deployed` : 'deployed') : state;
      ctx.out(
        `${String(row.id).padStart(4)}  ${new Date(row.createdAt).toISOString()}  ${row.source.padEnd(9)}  ${row.hash.slice(0, 12)}  ${mark.padEnd(15)}  ${row.note}\n`,
      );
    }
    return 0;
  },
};

export const adminClientCommands: Command[] = [
  pushCommand,
  rolloutCommand,
  promoteCommand,
  rollbackCommand,
  versionsCommand,
];
