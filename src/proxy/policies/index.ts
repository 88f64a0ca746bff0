import { ConfigError } from '../../config/errors.ts';
import type { SelectionPolicy } from '../types.ts';
import { clientIpHashPolicy } from './client-ip-hash.ts';
import { cookiePolicy } from './cookie.ts';
import { firstPolicy } from './first.ts';
import { headerPolicy } from './header.ts';
import { ipHashPolicy } from './ip-hash.ts';
import { leastConnPolicy } from './least-conn.ts';
import type { CompiledPolicy, PolicyModule, SelectionPolicyJSON } from './module.ts';
import { queryPolicy } from './query.ts';
import { randomChoosePolicy } from './random-choose.ts';
import { randomPolicy } from './random.ts';
import { roundRobinPolicy } from './round-robin.ts';
import { uriHashPolicy } from './uri-hash.ts';
import { weightedRoundRobinPolicy } from './weighted-round-robin.ts';

export type {
  CompiledPolicy,
  FallbackJSON,
  PolicyArgs,
  PolicyModule,
  PolicyTraits,
  SelectionPolicyJSON,
} from './module.ts';

// The load-balancing policies by name (Caddy's http.reverse_proxy.selection_policies namespace). The adapter's
// `lb_policy` and the runtime compiler both read this map: a new policy is its file plus one line here.
const POLICIES = new Map<string, PolicyModule>();

/** Adds a policy to the registry; a name can be registered once. */
export function registerPolicy<J extends SelectionPolicyJSON>(module: PolicyModule<J>): void {
  if (POLICIES.has(module.name)) throw new Error(`selection policy ${module.name} is already registered`);
  POLICIES.set(module.name, module as unknown as PolicyModule);
}

registerPolicy(randomPolicy);
registerPolicy(randomChoosePolicy);
registerPolicy(firstPolicy);
registerPolicy(roundRobinPolicy);
registerPolicy(weightedRoundRobinPolicy);
registerPolicy(leastConnPolicy);
registerPolicy(ipHashPolicy);
registerPolicy(clientIpHashPolicy);
registerPolicy(uriHashPolicy);
registerPolicy(queryPolicy);
registerPolicy(headerPolicy);
registerPolicy(cookiePolicy);

export function policyModule(name: string): PolicyModule | undefined {
  return POLICIES.get(name);
}

/** Compiles a `selection_policy` object ({policy, …}); absent means `random`. Fallbacks nest. */
export function compilePolicy(json: unknown, path: string): CompiledPolicy {
  if (json === undefined || json === null) json = { policy: 'random' };
  if (typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError('selection_policy must be an object', path);
  const rec = json as Record<string, unknown>;
  const name = rec.policy;
  const module = typeof name === 'string' ? POLICIES.get(name) : undefined;
  if (!module) throw new ConfigError(`unknown selection policy ${JSON.stringify(name)}`, path);
  for (const k of Object.keys(rec)) {
    if (k !== 'policy' && !(module.fields as readonly string[]).includes(k)) {
      throw new ConfigError(`selection policy ${module.name}: unsupported field "${k}"`, path);
    }
  }
  return module.compile(rec as unknown as SelectionPolicyJSON, {
    path,
    fallback: () => compilePolicy(rec.fallback, `${path}.fallback`),
  });
}

/** The selection function alone, for callers that need no traits. */
export function compileSelectionPolicy(json: unknown, path: string): SelectionPolicy {
  return compilePolicy(json, path).select;
}
