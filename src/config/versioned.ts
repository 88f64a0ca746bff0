import type { WaitUntil } from '../env.ts';
import type { ConfigSnapshot, ServedVersion } from '../../durable/config-store.ts';
import { SwrCache } from '../util/swr-cache.ts';
import { servesCandidate } from './rollout.ts';

/**
 * The isolate's view of the config store: the active and candidate versions, polled in the background at most
 * every `maxAgeMs` (the bounded staleness of a config change), each version compiled once. A version that fails
 * to compile here is skipped and the last good one keeps serving, so a bad rollout can never take an isolate down.
 */
export interface Selected<C> {
  config: C;
  version: number;
}

export class VersionedConfigs<C> {
  private readonly snapshots: SwrCache<ConfigSnapshot>;
  private readonly compiled = new Map<number, Selected<C> | Error>();
  private lastGood: Selected<C> | undefined;
  private readonly compile: (json: string) => C;
  private readonly log: (msg: string) => void;

  constructor(
    load: () => Promise<ConfigSnapshot>,
    compile: (json: string) => C,
    maxAgeMs: number,
    log: (msg: string) => void = (m) => console.warn(m),
    /** Told of each snapshot read from the store that is kept (not one an admin change here has overtaken). */
    onSnapshot?: (snapshot: ConfigSnapshot, exec: WaitUntil | undefined) => void | Promise<void>,
  ) {
    this.compile = compile;
    this.log = log;
    this.snapshots = new SwrCache(
      load,
      maxAgeMs,
      (e) => log(`gatehouse: config store unreachable, serving the last known config: ${String(e)}`),
      {
        onLoaded: onSnapshot,
      },
    );
  }

  /** The config this client is served by: the candidate for its rollout bucket, else the active one. */
  async select(clientKey: string, exec?: WaitUntil): Promise<Selected<C> | undefined> {
    return this.choose(await this.snapshots.get(exec), clientKey);
  }

  /** select() without a promise when the cached snapshot can serve now; undefined means: call select(). */
  selectNow(clientKey: string, exec?: WaitUntil): Selected<C> | undefined {
    const snapshot = this.snapshots.getNow(exec);
    return snapshot && this.choose(snapshot, clientKey);
  }

  private choose(snapshot: ConfigSnapshot, clientKey: string): Selected<C> | undefined {
    if (snapshot.candidate && servesCandidate(snapshot, clientKey)) {
      const candidate = this.use(snapshot.candidate);
      if (candidate) return candidate;
    }
    if (snapshot.active) {
      const active = this.use(snapshot.active);
      if (active) return (this.lastGood = active);
    }
    return this.lastGood;
  }

  /** Admin changes made through this isolate take effect here at once (concurrent ones may answer out of order). */
  update(snapshot: ConfigSnapshot): void {
    const current = this.snapshots.peek();
    if (!current || current.revision <= snapshot.revision) this.snapshots.set(snapshot);
  }

  /** Ids of the versions compiled here (or found not to compile): a snapshot need not carry their JSON. */
  compiledIds(): number[] {
    return [...this.compiled.keys()];
  }

  /** The compiled active and candidate versions of a snapshot (those that compile here). */
  live(snapshot: ConfigSnapshot): C[] {
    const out: C[] = [];
    for (const v of [snapshot.active, snapshot.candidate]) {
      const selected = v ? this.use(v) : undefined;
      if (selected) out.push(selected.config);
    }
    return out;
  }

  private use(version: ServedVersion): Selected<C> | undefined {
    let entry = this.compiled.get(version.id);
    if (entry === undefined) {
      // The store leaves out JSON this isolate has compiled (compiledIds), so none here is never a config to try.
      if (version.json === '') return undefined;
      try {
        entry = { config: this.compile(version.json), version: version.id };
      } catch (e) {
        entry = e instanceof Error ? e : new Error(String(e));
        this.log(
          `gatehouse: config version ${version.id} does not compile here, keeping the previous one: ${entry.message}`,
        );
      }
      this.compiled.set(version.id, entry);
    }
    return entry instanceof Error ? undefined : entry;
  }
}
