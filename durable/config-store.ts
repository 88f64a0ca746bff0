import { DurableObject } from 'cloudflare:workers';
import { configEtag, parseIfMatch } from '../src/admin/etag.ts';
import { sha256Hex as sha256 } from '../src/util/sha256-hex.ts';

/**
 * Config versions and the rollout state. One instance (named "config") holds every config ever loaded,
 * which one is active, and an optional candidate served to a percentage of clients. Each change is one SQLite
 * transaction, so an isolate never sees a half-applied state; `revision` increases on every change and is part of
 * the admin API's Etag. A change conditional on an Etag (If-Match) is checked inside its transaction, so of
 * concurrent writers holding the same Etag exactly one succeeds.
 */

export interface NewVersion {
  /** Caddy JSON, already validated by the Worker (adapted and compiled). */
  json: string;
  /** The Caddyfile it came from, when it came from one. */
  caddyfile?: string;
  note?: string;
}

export interface VersionSummary {
  id: number;
  hash: string;
  source: 'caddyfile' | 'json';
  note: string;
  createdAt: number;
}

/** A version as isolates serve it (its Caddyfile stays in the store). */
export interface ServedVersion extends VersionSummary {
  json: string;
}

export interface ConfigVersion extends ServedVersion {
  caddyfile: string | null;
}

/**
 * The largest config (request body, and its JSON) the store takes. Texts are kept in parts well under SQLite's
 * 2 MB value limit, so the bound is the snapshot itself: active and candidate cross Durable Object RPC (32 MiB
 * a message) to every isolate.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** UTF-16 units a stored part: at most 3 UTF-8 bytes each, so a part stays under 2 MB. */
const PART_CHARS = 512 * 1024;

/** What isolates poll: the active config, the candidate and its share of clients. */
export interface ConfigSnapshot {
  revision: number;
  active: ServedVersion | null;
  candidate: ServedVersion | null;
  /** Percentage (0–100) of clients served by the candidate. */
  percent: number;
  /** The version deployed last (the Worker's baked or bundled config) and its hash; admin loads may serve instead. */
  deployed: number | null;
  deployedHash: string | null;
}

/**
 * Outcome of a state change. Errors are values, not exceptions: custom error classes do not survive Durable Object
 * RPC, and the admin API needs to tell a conflict (412) from a bad request (400/404).
 */
type RefusalStatus = 400 | 404 | 412 | 413;
export type StoreResult<T> = { ok: true; value: T } | { ok: false; status: RefusalStatus; message: string };

class StoreRefusal extends Error {
  readonly status: RefusalStatus;
  constructor(status: RefusalStatus, message: string) {
    super(message);
    this.status = status;
  }
}

function attempt<T>(fn: () => T): StoreResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof StoreRefusal) return { ok: false, status: e.status, message: e.message };
    throw e;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL,
  source TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  json TEXT NOT NULL,
  caddyfile TEXT
);
-- Texts of versions stored in parts (versions.json is then '', versions.caddyfile '' or NULL for none).
CREATE TABLE IF NOT EXISTS version_parts (
  version_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (version_id, field, seq)
);
CREATE TABLE IF NOT EXISTS activations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  undone INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  value INTEGER
);`;

type Row = Record<string, SqlStorageValue>;

export class ConfigStore extends DurableObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(SCHEMA);
    });
  }

  /**
   * The state isolates serve from. The JSON of the versions in `compiled` (those the caller has compiled already)
   * is left out (''): isolates poll every few seconds, and a config may be megabytes.
   */
  snapshot(compiled: number[] = []): ConfigSnapshot {
    const activeId = this.stateValue('active');
    const candidateId = this.stateValue('candidate');
    const deployedId = this.stateValue('deployed');
    return {
      revision: this.stateValue('revision') ?? 0,
      active: activeId === null ? null : this.served(activeId, compiled.includes(activeId)),
      candidate: candidateId === null ? null : this.served(candidateId, compiled.includes(candidateId)),
      percent: this.stateValue('percent') ?? 0,
      deployed: deployedId,
      deployedHash: deployedId === null ? null : (this.summary(deployedId)?.hash ?? null),
    };
  }

  /**
   * Records the config a Worker was deployed (or started) with. One that differs from the config deployed last
   * becomes active for everyone, ending any rollout (admin-loaded versions stay in the history); the same one
   * changes nothing, so a version loaded through the admin API keeps serving until a deploy changes the config.
   * `deployedAt` (set by `gatehouse deploy`) orders deploys: an isolate of an older deploy, still starting while a
   * newer one rolls out, does not take the config back. The first deploy recorded in a store that already serves a
   * version (one stored before deploys were recorded) leaves that version serving.
   */
  async deploy(input: NewVersion, deployedAt?: number): Promise<ConfigSnapshot> {
    const hash = await sha256(input.json);
    this.ctx.storage.transactionSync(() => {
      const last = this.stateValue('deployed');
      if (last !== null && this.summary(last)?.hash === hash) return;
      const lastAt = this.stateValue('deployed_at');
      if (deployedAt !== undefined && lastAt !== null && deployedAt < lastAt) return;
      const id = this.findOrInsert(input, hash);
      this.setState('deployed', id);
      if (deployedAt !== undefined) this.setState('deployed_at', deployedAt);
      if (last !== null || this.stateValue('active') === null) this.activateLocked(id);
      else this.bump();
    });
    return this.snapshot();
  }

  /**
   * Makes a config active for everyone (admin `/load`), clearing any rollout; a config stored before is reused, not
   * stored again. The active config itself, with no rollout, changes nothing (`unchanged`). Without `ifMatch` the
   * last write wins, as in Caddy.
   */
  async load(
    input: NewVersion,
    ifMatch?: string,
  ): Promise<StoreResult<{ version: VersionSummary; snapshot: ConfigSnapshot; unchanged: boolean }>> {
    const hash = await sha256(input.json);
    return attempt(() =>
      this.ctx.storage.transactionSync(() => {
        this.checkIfMatch(ifMatch);
        const active = this.stateValue('active');
        const unchanged =
          active !== null && this.stateValue('candidate') === null && this.summary(active)?.hash === hash;
        const id = unchanged ? active : this.findOrInsert(input, hash);
        if (!unchanged) this.activateLocked(id);
        return { version: this.summary(id)!, snapshot: this.snapshot(), unchanged };
      }),
    );
  }

  /** Serves version `id` (or a new config) to `percent`% of clients, the rest stay on the active version. */
  async rollout(
    target: { id?: number; config?: NewVersion },
    percent: number,
    ifMatch?: string,
  ): Promise<StoreResult<ConfigSnapshot>> {
    const hash = target.config ? await sha256(target.config.json) : '';
    return attempt(() => {
      if (!(percent >= 0 && percent <= 100)) throw new StoreRefusal(400, 'percent must be a number from 0 to 100');
      this.ctx.storage.transactionSync(() => {
        this.checkIfMatch(ifMatch);
        const id = target.config ? this.findOrInsert(target.config, hash) : target.id;
        if (id === undefined || !this.summary(id)) throw new StoreRefusal(404, `no such config version: ${id}`);
        this.setState('candidate', id);
        this.setState('percent', percent);
        this.bump();
      });
      return this.snapshot();
    });
  }

  /** Makes the candidate the active version for everyone. */
  promote(ifMatch?: string): StoreResult<ConfigSnapshot> {
    return attempt(() => {
      this.ctx.storage.transactionSync(() => {
        this.checkIfMatch(ifMatch);
        const candidate = this.stateValue('candidate');
        if (candidate === null) throw new StoreRefusal(400, 'there is no rollout to promote');
        this.activateLocked(candidate);
      });
      return this.snapshot();
    });
  }

  /**
   * With a rollout in flight, aborts it: the candidate stops serving and the active version stays. Otherwise steps
   * back to the version active before the current one (repeated rollbacks keep walking back through the history,
   * like undo). With `id`, activates that version for everyone (ending any rollout).
   */
  rollback(id?: number, ifMatch?: string): StoreResult<ConfigSnapshot> {
    return attempt(() => {
      this.ctx.storage.transactionSync(() => {
        this.checkIfMatch(ifMatch);
        if (id !== undefined) {
          if (!this.summary(id)) throw new StoreRefusal(404, `no such config version: ${id}`);
          this.activateLocked(id);
          return;
        }
        if (this.stateValue('candidate') !== null) {
          this.setState('candidate', null);
          this.setState('percent', 0);
          this.bump();
          return;
        }
        const [current, previous] = this.sql
          .exec('SELECT seq, version_id FROM activations WHERE undone = 0 ORDER BY seq DESC LIMIT 2')
          .toArray();
        if (!previous) throw new StoreRefusal(400, 'there is no earlier version to roll back to');
        this.sql.exec('UPDATE activations SET undone = 1 WHERE seq = ?', current.seq);
        this.setActive(Number(previous.version_id));
      });
      return this.snapshot();
    });
  }

  /** Newest first. */
  versions(limit = 100): VersionSummary[] {
    return this.sql
      .exec('SELECT id, hash, source, note, created_at FROM versions ORDER BY id DESC LIMIT ?', limit)
      .toArray()
      .map(toSummary);
  }

  version(id: number): ConfigVersion | null {
    const row = this.sql.exec('SELECT caddyfile FROM versions WHERE id = ?', id).toArray()[0];
    const served = this.served(id);
    if (!row || !served) return null;
    const caddyfile =
      row.caddyfile === null ? null : row.caddyfile === '' ? this.joinParts(id, 'caddyfile') : String(row.caddyfile);
    return { ...served, caddyfile };
  }

  private served(id: number, withoutJson = false): ServedVersion | null {
    const row = this.sql
      .exec('SELECT id, hash, source, note, created_at, json FROM versions WHERE id = ?', id)
      .toArray()[0];
    if (!row) return null;
    if (withoutJson) return { ...toSummary(row), json: '' };
    // Versions stored before texts were split keep theirs in the row.
    return { ...toSummary(row), json: row.json === '' ? this.joinParts(id, 'json') : String(row.json) };
  }

  // --- internals (called inside transactions) ---

  private insert(input: NewVersion, hash = ''): number {
    for (const text of [input.json, input.caddyfile ?? '']) {
      const bytes = new TextEncoder().encode(text).byteLength;
      if (bytes > MAX_CONFIG_BYTES)
        throw new StoreRefusal(
          413,
          `config too large (${bytes} bytes): the limit is ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB`,
        );
    }
    const row = this.sql
      .exec(
        'INSERT INTO versions (hash, source, note, created_at, json, caddyfile) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        hash,
        input.caddyfile === undefined ? 'json' : 'caddyfile',
        input.note ?? '',
        Date.now(),
        '',
        input.caddyfile === undefined ? null : '',
      )
      .one();
    const id = Number(row.id);
    this.insertParts(id, 'json', input.json);
    if (input.caddyfile !== undefined) this.insertParts(id, 'caddyfile', input.caddyfile);
    return id;
  }

  /** The newest stored version with this JSON, else a new one. */
  private findOrInsert(input: NewVersion, hash: string): number {
    const row = this.sql.exec('SELECT id FROM versions WHERE hash = ? ORDER BY id DESC LIMIT 1', hash).toArray()[0];
    return row ? Number(row.id) : this.insert(input, hash);
  }

  private insertParts(id: number, field: 'json' | 'caddyfile', text: string): void {
    for (const [seq, part] of splitText(text, PART_CHARS).entries()) {
      this.sql.exec(
        'INSERT INTO version_parts (version_id, field, seq, data) VALUES (?, ?, ?, ?)',
        id,
        field,
        seq,
        part,
      );
    }
  }

  private joinParts(id: number, field: 'json' | 'caddyfile'): string {
    let text = '';
    for (const row of this.sql.exec(
      'SELECT data FROM version_parts WHERE version_id = ? AND field = ? ORDER BY seq',
      id,
      field,
    ))
      text += String(row.data);
    return text;
  }

  private activateLocked(id: number): void {
    this.sql.exec('INSERT INTO activations (version_id, at) VALUES (?, ?)', id, Date.now());
    this.setActive(id);
  }

  private setActive(id: number): void {
    this.setState('active', id);
    this.setState('candidate', null);
    this.setState('percent', 0);
    this.bump();
  }

  private summary(id: number): VersionSummary | null {
    const row = this.sql.exec('SELECT id, hash, source, note, created_at FROM versions WHERE id = ?', id).toArray()[0];
    return row ? toSummary(row) : null;
  }

  /** Caddy's If-Match: the Etag of the state now (see src/admin/etag.ts); a stale one means someone else changed it. */
  private checkIfMatch(ifMatch: string | undefined): void {
    if (ifMatch === undefined) return;
    const parsed = parseIfMatch(ifMatch);
    if (!parsed) throw new StoreRefusal(400, 'malformed If-Match header; expect the Etag value, quoted');
    const activeId = this.stateValue('active');
    const json = activeId === null ? null : (this.served(activeId)?.json ?? null);
    if (configEtag(parsed.path, this.stateValue('revision') ?? 0, json) !== ifMatch.trim()) {
      throw new StoreRefusal(412, 'If-Match header did not match current config hash');
    }
  }

  private bump(): void {
    this.setState('revision', (this.stateValue('revision') ?? 0) + 1);
  }

  private stateValue(key: string): number | null {
    const row = this.sql.exec('SELECT value FROM state WHERE key = ?', key).toArray()[0];
    return row && row.value !== null ? Number(row.value) : null;
  }

  private setState(key: string, value: number | null): void {
    this.sql.exec(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }
}

/** `text` in pieces of at most `size` UTF-16 units, never cutting a surrogate pair (SQLite stores UTF-8). */
function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(at, end));
    at = end;
  }
  return parts;
}

function toSummary(row: Row): VersionSummary {
  return {
    id: Number(row.id),
    hash: String(row.hash),
    source: row.source === 'caddyfile' ? 'caddyfile' : 'json',
    note: String(row.note ?? ''),
    createdAt: Number(row.created_at),
  };
}
