import type { ConfigSnapshot, ConfigStore } from '../../durable/config-store.ts';
import { sha256Hex } from '../util/sha256-hex.ts';

/**
 * The deployed config against the config store's versions. Precedence: a Worker deployed (or started) with a config
 * that differs from the one deployed last serves it; otherwise the store's active version serves, which the admin
 * API may have changed since.
 */
export interface DeployedConfig {
  json: string;
  /** When `gatehouse deploy` built the bundle (ms); orders deploys that overlap while one rolls out. */
  deployedAt?: number;
}

/** Read once by each isolate as it starts: records its deployed config in the store when that is new. */
export async function syncDeployed(
  stub: DurableObjectStub<ConfigStore>,
  deployed: DeployedConfig,
): Promise<ConfigSnapshot> {
  const [snapshot, hash] = await Promise.all([stub.snapshot() as Promise<ConfigSnapshot>, sha256Hex(deployed.json)]);
  // The common case (nothing new): one read, no config text sent.
  if (snapshot.deployedHash === hash) return snapshot;
  return (await stub.deploy({ json: deployed.json, note: 'deployed config' }, deployed.deployedAt)) as ConfigSnapshot;
}

const reported = new Set<number>();

/** One line per isolate and version when the store serves a version other than the deployed one. */
export function reportServedVersion(
  snapshot: ConfigSnapshot,
  log: (line: string) => void = (line) => console.warn(line),
): void {
  const active = snapshot.active?.id;
  if (active === undefined || snapshot.deployed === null || active === snapshot.deployed || reported.has(active))
    return;
  reported.add(active);
  log(
    `gatehouse: serving config version ${active}, set through the admin API, not the deployed config (version ${snapshot.deployed}); ` +
      'it serves until a deploy changes the config',
  );
}
