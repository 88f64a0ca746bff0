// Where metric batches go: the METRICS namespace's shards, named by index. Isolates and Durable Objects that record
// metrics address them the same way; the scrape reads every shard.

/** The env fields that say how many shards there are. */
export interface ShardEnv {
  /** Number of shards (default 4); raise it if one shard's write rate becomes a bottleneck. */
  METRICS_SHARDS?: string;
}

export function shardCount(env: ShardEnv): number {
  const n = Number(env.METRICS_SHARDS ?? 4);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

export function shardName(index: number): string {
  return `shard-${index}`;
}

/** The shard a recorder writes to, picked once by its seed (in [0, 1)) so shards share the write load. */
export function shardIndex(env: ShardEnv, seed: number): number {
  return Math.floor(seed * shardCount(env));
}

/** The stub of the shard at `index`. */
export function shardStub<T extends Rpc.DurableObjectBranded | undefined>(
  ns: DurableObjectNamespace<T>,
  index: number,
): DurableObjectStub<T> {
  return ns.get(ns.idFromName(shardName(index)));
}
