// What an isolate and its UpstreamPool object agree on: the wire types, the refresh budget, and the active health
// check both run (the object for plain TCP upstreams, the isolate for the rest). Web-platform types only: the
// object's bundle carries this file, never the proxy runtime.

/** Caddy's placeholder for the upstream a check is for: its dial address, whatever host the check goes to. */
export const TARGET_UPSTREAM = 'http.reverse_proxy.active.target_upstream';
export const TARGET_UPSTREAM_PLACEHOLDER = `{${TARGET_UPSTREAM}}`;

export interface ActiveHealthConfig {
  /** Path and query to request, e.g. "/health". */
  uri: string;
  /** Overrides the upstream's port for checks. */
  port?: number;
  intervalMs: number;
  timeoutMs: number;
  method: string;
  /**
   * health_headers, placeholders resolved by the isolate except `{http.reverse_proxy.active.target_upstream}`, which
   * is filled in per upstream at each check. A `Host` entry is not sent: fetch() uses the URL's host.
   */
  headers: Record<string, string>;
  body?: string;
  /** Expected status: an exact code (200) or a class below 100 (2 = 2xx, Caddy's StatusCodeMatches); default any 2xx. */
  expectStatus?: number;
  /** Regular expression the body must match (JavaScript syntax), with its flags. */
  expectBody?: string;
  expectBodyFlags?: string;
  /** Only this many bytes of the body are matched (0 = all). */
  maxSize?: number;
  followRedirects: boolean;
  passes: number;
  fails: number;
  scheme: 'http' | 'https';
}

export interface PassiveHealthConfig {
  failDurationMs: number;
  maxFails: number;
}

export interface PoolConfig {
  upstreams: string[];
  active?: ActiveHealthConfig;
  passive?: PassiveHealthConfig;
}

/** Caddy's pass/fail counting state of one upstream's active checks. */
export interface CheckCounts {
  /** The checks' verdict (true until they say otherwise: Caddy's initial state). */
  activeHealthy: boolean;
  /** Counters since the last flip (Caddy's health_passes / health_fails counting). */
  passCount: number;
  failCount: number;
}

export interface UpstreamState extends CheckCounts {
  /** Passive failures inside fail_duration, summed over isolates. */
  fails: number;
  /** In-flight requests summed over isolates' recent reports. */
  inFlight: number;
  lastCheck?: number;
  lastError?: string;
}

export interface PoolSnapshot {
  at: number;
  upstreams: Record<string, UpstreamState>;
  /**
   * The longest an isolate should wait between refreshes, set by the object from how many isolates hold the pool so
   * that their refreshes together stay within REFRESHES_PER_SECOND (absent: the isolate's own interval).
   */
  refreshMs?: number;
}

/** A state before any check or report: healthy, as Caddy starts. */
export function initialUpstreamState(): UpstreamState {
  return { activeHealthy: true, fails: 0, inFlight: 0, passCount: 0, failCount: 0 };
}

/**
 * Counts one check result as Caddy does: passes and fails since the last flip (not strictly consecutive), flipping
 * at the threshold. Updates `counts` in place.
 */
export function countCheck(counts: CheckCounts, ok: boolean, thresholds: { passes: number; fails: number }): void {
  if (ok) {
    counts.passCount++;
    if (!counts.activeHealthy && counts.passCount >= thresholds.passes) {
      counts.activeHealthy = true;
      counts.passCount = counts.failCount = 0;
    }
  } else {
    counts.failCount++;
    if (counts.activeHealthy && counts.failCount >= thresholds.fails) {
      counts.activeHealthy = false;
      counts.passCount = counts.failCount = 0;
    }
  }
}

/** Caddy's StatusCodeMatches: an exact code, or a class given as its first digit (5 = any 5xx). */
export function statusMatches(actual: number, configured: number): boolean {
  return configured < 100 ? Math.floor(actual / 100) === configured : actual === configured;
}

/** How the check's response is judged (Caddy's expect_status, expect_body, max_size). */
export interface CheckExpectations {
  /** An exact code, or a class below 100 (2 = 2xx); 0 or undefined: any 2xx. */
  expectStatus?: number;
  expectBody?: RegExp;
  /** Only this many characters of the body are matched (0 or undefined: all). */
  maxSize?: number;
}

/** The request of one check: the upstream's URL and Caddy's check fields as a fetch() init. */
export function checkRequest(
  scheme: string,
  hostport: string,
  uri: string,
  check: { method: string; body?: string; followRedirects: boolean; timeoutMs: number },
  headers: Headers,
): { url: string; init: RequestInit } {
  const path = uri === '' ? '/' : uri.startsWith('/') ? uri : `/${uri}`;
  const sendsBody = check.body && check.method !== 'GET' && check.method !== 'HEAD';
  return {
    url: `${scheme}://${hostport}${path}`,
    init: {
      method: check.method,
      headers,
      body: sendsBody ? check.body : undefined,
      redirect: check.followRedirects ? 'follow' : 'manual',
      signal: AbortSignal.timeout(check.timeoutMs),
    },
  };
}

/** Whether a check's response passes; the body is read only when it is matched, and released otherwise. */
export async function judgeCheck(res: Response, expect: CheckExpectations): Promise<{ ok: boolean; error?: string }> {
  const status = res.status;
  const statusOk = expect.expectStatus ? statusMatches(status, expect.expectStatus) : status >= 200 && status < 300;
  if (!statusOk) {
    await res.body?.cancel();
    return { ok: false, error: `status code ${status} unexpected` };
  }
  if (!expect.expectBody) {
    await res.body?.cancel();
    return { ok: true };
  }
  let text = await res.text();
  if (expect.maxSize) text = text.slice(0, expect.maxSize);
  // A regexp with the g or y flag keeps state between tests: every check starts from the beginning.
  expect.expectBody.lastIndex = 0;
  return expect.expectBody.test(text) ? { ok: true } : { ok: false, error: 'response body failed expectations' };
}

/** How many snapshot refreshes per second one pool object is asked for by all its isolates together. */
export const REFRESHES_PER_SECOND = 400;

/** Isolates that called within this long count toward the refresh budget (an isolate refreshes far more often). */
export const RECENT_HOLDER_MS = 30_000;

/** The refresh interval that keeps `recentHolders` isolates within REFRESHES_PER_SECOND together. */
export function budgetRefreshMs(recentHolders: number): number {
  return Math.ceil((recentHolders / REFRESHES_PER_SECOND) * 1000);
}

/**
 * How long an isolate's load report counts: several refresh intervals, so a report is replaced before it expires,
 * and at least 5 s, so an isolate that went quiet soon stops counting.
 */
export function loadReportTtlMs(refreshMs: number): number {
  return Math.max(5000, 3 * refreshMs);
}
