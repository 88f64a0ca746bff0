import { checkFields } from '../http/handlers/util.ts';
import { PASSIVE_HEALTH_FIELDS } from './json.ts';
import { statusMatches } from './pool-protocol.ts';
import { ConfigError } from '../config/errors.ts';
import { parseDurationNs } from '../util/duration.ts';
import type { HostState } from './types.ts';

// Passive health checks: failures observed on real traffic. Failure counts live in the per-address HostState
// shared by every handler in this isolate; each failure stops counting after the fail_duration of the handler that
// recorded it. Expiry is computed lazily, so no timers outlive a request.

export interface PassiveHealth {
  /** 0 = passive checks off (then only unhealthy_request_count has an effect). */
  readonly failDurationMs: number;
  readonly maxFails: number;
  /** Status codes; a code below 100 is a class (5 = 5xx). */
  readonly unhealthyStatus: readonly number[];
  readonly unhealthyLatencyMs: number;
  readonly unhealthyRequestCount: number;
}

const hosts = new Map<string, HostState>();

/** The shared state for one dial address (created on first use). */
export function hostState(dial: string): HostState {
  let h = hosts.get(dial);
  if (!h) hosts.set(dial, (h = { numRequests: 0, remoteRequests: 0, failExpiries: [], lastAnswerAt: 0 }));
  return h;
}

/** In-flight requests to an address across isolates: this isolate's now plus the others' last reported. */
export function globalLoad(h: HostState): number {
  return h.numRequests + h.remoteRequests;
}

/** Every dial address this isolate has state for (the admin API's upstream list). */
export function hostStates(): ReadonlyMap<string, HostState> {
  return hosts;
}

/** Forgets all host state (tests only). */
export function resetHostStates(): void {
  hosts.clear();
}

export function durationMs(v: unknown, what: string, path: string): number {
  if (v === undefined || v === null) return 0;
  const ns = typeof v === 'number' ? v : typeof v === 'string' ? parseDurationNs(v) : undefined;
  if (ns === undefined || !Number.isFinite(ns))
    throw new ConfigError(`${what}: invalid duration ${JSON.stringify(v)}`, path);
  return ns / 1e6;
}

function int(v: unknown, what: string, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ConfigError(`${what} must be a non-negative integer`, path);
  return v;
}

export function compilePassiveHealth(json: unknown, path: string): PassiveHealth | undefined {
  if (json === undefined || json === null) return undefined;
  if (typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError('passive health checks must be an object', path);
  const rec = json as Record<string, unknown>;
  checkFields(rec, PASSIVE_HEALTH_FIELDS, path, 'passive health checks');
  const status = rec.unhealthy_status ?? [];
  if (!Array.isArray(status) || !status.every((s) => Number.isInteger(s))) {
    throw new ConfigError('unhealthy_status must be a list of integers', path);
  }
  return {
    failDurationMs: durationMs(rec.fail_duration, 'fail_duration', path),
    maxFails: int(rec.max_fails, 'max_fails', path) || 1,
    unhealthyStatus: status as number[],
    unhealthyLatencyMs: durationMs(rec.unhealthy_latency, 'unhealthy_latency', path),
    unhealthyRequestCount: int(rec.unhealthy_request_count, 'unhealthy_request_count', path),
  };
}

/** Failures still counting for this host. */
export function currentFails(h: HostState, now = Date.now()): number {
  const live = h.failExpiries;
  let drop = 0;
  while (drop < live.length && live[drop] <= now) drop++;
  if (drop > 0) live.splice(0, drop);
  return live.length;
}

/** Records one failure (only when passive checks are on, i.e. fail_duration > 0). */
export function countFailure(h: HostState, cfg: PassiveHealth | undefined, now = Date.now()): void {
  if (!cfg || cfg.failDurationMs <= 0) return;
  const expiry = now + cfg.failDurationMs;
  // Keep the list sorted: handlers with different fail_durations can share a host.
  let i = h.failExpiries.length;
  while (i > 0 && h.failExpiries[i - 1] > expiry) i--;
  h.failExpiries.splice(i, 0, expiry);
}

/** Strikes for a completed round trip: one per matching unhealthy_status entry, one for too much latency. */
export function responseStrikes(cfg: PassiveHealth | undefined, status: number, latencyMs: number): number {
  if (!cfg) return 0;
  let n = 0;
  for (const s of cfg.unhealthyStatus) if (statusMatches(status, s)) n++;
  if (cfg.unhealthyLatencyMs > 0 && latencyMs >= cfg.unhealthyLatencyMs) n++;
  return n;
}
