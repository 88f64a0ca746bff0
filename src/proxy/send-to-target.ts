import type { Env } from '../env.ts';
import type { DialTarget } from './upstreams.ts';

// How a request reaches an upstream, by the kind of its target: proxied attempts and per-isolate health checks
// both go this way, so a check reaches exactly what traffic reaches.

interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

function isFetcher(v: unknown): v is Fetcher {
  return typeof v === 'object' && v !== null && typeof (v as { fetch?: unknown }).fetch === 'function';
}

/**
 * Sends to the target: its service binding, its Durable Object, or fetch() for a TCP address. Undefined when the
 * env lacks the target's binding (missingBinding says which).
 */
export function sendToTarget(
  target: DialTarget,
  env: Env,
  url: string,
  init: RequestInit,
): Promise<Response> | undefined {
  if (target.kind === 'tcp') return fetch(url, init);
  if (target.kind === 'service') {
    const binding = env[target.name];
    return isFetcher(binding) ? binding.fetch(new Request(url, init)) : undefined;
  }
  const ns = env[target.binding] as Partial<DurableObjectNamespace> | undefined;
  if (!ns || typeof ns.idFromName !== 'function' || typeof ns.get !== 'function') return undefined;
  return ns.get(ns.idFromName(target.name)).fetch(new Request(url, init));
}

/** Why sendToTarget had nothing to send through. */
export function missingBinding(target: Exclude<DialTarget, { kind: 'tcp' }>): string {
  return target.kind === 'service'
    ? `service binding ${target.name} not found`
    : `Durable Object binding ${target.binding} not found`;
}
