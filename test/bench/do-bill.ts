// The Durable Object bill, by simulation: a modelled fleet drives the real isolate-side code (rate-limit leases, pool
// snapshot refresh with least_conn load reports, passive-failure batches, metrics flushes, config refresh) on a
// simulated clock, and counts the calls each object receives (the model: test/bench/sim/simulate.ts).
//   node test/bench/do-bill.ts          prints the table (also part of `npm run bench`)
//   node test/bench/do-bill.ts --json   the figures as JSON
//   node test/bench/do-bill.ts --target the 1M rps fleet only, shipped and without the pool's refresh budget
//                                       (test/node/do-bill.test.ts), JSON
//   DO_BILL_SECONDS=n                   simulated seconds per scenario after warm-up (default 10)
//   DO_BILL_SPLIT=1                     counts the hot key's calls per object method (acquire, settleLease)
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Row } from './table.ts';
import type { Scenario, SimResult } from './sim/simulate.ts';

/**
 * Cloudflare's published Durable Object prices (Workers Paid), read 2026-12-05 from
 * https://developers.cloudflare.com/durable-objects/platform/pricing : requests 1 million included per month, then
 * $0.15 per million (every RPC method call is one request, and so is each alarm invocation); duration 400,000 GB-s
 * included, then $12.50 per million GB-s, billed at 128 MB per object while it runs or cannot hibernate.
 */
export const PRICES = {
  source: 'https://developers.cloudflare.com/durable-objects/platform/pricing (read 2026-12-05)',
  includedRequests: 1e6,
  perMillionRequests: 0.15,
  includedGbSeconds: 400_000,
  perMillionGbSeconds: 12.5,
  objectGb: 0.128,
};

const SECONDS_PER_MONTH = 30 * 86_400;

/** The features the "< 1 call per 1,000 requests" target covers: health checks, least_conn, metrics. */
export const SHARED_STATE_FEATURES = [
  'pool snapshot refresh + least_conn load',
  'active health check alarms',
  'metrics flushes',
];

export function scenario(over: Partial<Scenario> & { name: string; rps: number }): Scenario {
  return {
    colos: 300,
    isolatesPerColo: 4,
    seconds: Number(process.env.DO_BILL_SECONDS ?? 10),
    warmupSeconds: 10,
    hotShare: 0.1,
    // A big tenant's key: far below its limit (leases serve it), 100k requests/s out of 20M a minute.
    hotLimit: { maxEvents: 20_000_000, windowMs: 60_000 },
    tailKeys: 1_000_000,
    zipfS: 1.1,
    // Per client: 100 requests/s on average over a minute.
    tailLimit: { maxEvents: 6000, windowMs: 60_000 },
    tailSampleIsolates: 12,
    failureRate: 0.0001,
    activeIntervalMs: 10_000,
    metricsShards: 4,
    metricsFlushMs: 10_000,
    configRefreshMs: 5000,
    ...over,
  };
}

let loaded: Promise<typeof import('./sim/simulate.ts')> | undefined;

/** The RateLimiter class extends cloudflare:workers' DurableObject: Node gets a stand-in base class for it. */
function loadSimulation(): Promise<typeof import('./sim/simulate.ts')> {
  const stub = 'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }';
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'cloudflare:workers') return { url: ${JSON.stringify(`data:text/javascript,${encodeURIComponent(stub)}`)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  if (!loaded) {
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
    loaded = import('./sim/simulate.ts');
  }
  return loaded;
}

export async function runScenario(sc: Scenario): Promise<SimResult> {
  return (await loadSimulation()).simulate(sc);
}

export interface Bill {
  requestsPerMonth: number;
  callsPerMonth: number;
  gbSecondsPerMonth: number;
  dollars: number;
}

/** The month's bill for `requestsPerMonth` proxied requests, at the rates a simulation at that average rate measured. */
export function monthlyBill(r: SimResult, requestsPerMonth: number): Bill {
  const scale = SECONDS_PER_MONTH * (requestsPerMonth / SECONDS_PER_MONTH / r.scenario.rps);
  const calls = r.features.reduce((s, f) => s + f.perSecond, 0) * scale;
  const gbs = r.features.reduce((s, f) => s + f.busySecondsPerSecond, 0) * PRICES.objectGb * scale;
  const dollars =
    (Math.max(0, calls - PRICES.includedRequests) / 1e6) * PRICES.perMillionRequests +
    (Math.max(0, gbs - PRICES.includedGbSeconds) / 1e6) * PRICES.perMillionGbSeconds;
  return { requestsPerMonth, callsPerMonth: calls, gbSecondsPerMonth: gbs, dollars };
}

export function sharedStatePerThousand(r: SimResult): number {
  return (
    r.features.filter((f) => SHARED_STATE_FEATURES.includes(f.feature)).reduce((s, f) => s + f.perMillion, 0) / 1000
  );
}

export function peakRps(r: SimResult): { feature: string; rps: number } {
  let best = { feature: '', rps: 0 };
  for (const f of r.features) if (f.peakRps > best.rps) best = { feature: f.feature, rps: f.peakRps };
  return best;
}

export interface DoBill {
  before: SimResult;
  after: SimResult;
  overLimit: SimResult;
  monthly: Array<{ result: SimResult; bill: Bill }>;
}

/**
 * The 1M requests/s fleet without the pool object's refresh budget (every isolate refreshing each second) and as
 * the code stands, and the two monthly volumes.
 */
export async function doBill(): Promise<DoBill> {
  const before = await runScenario(
    scenario({
      name: '1M rps, 300 colos × 4 isolates, no pool refresh budget',
      rps: 1_000_000,
      poolRefreshBudget: false,
    }),
  );
  const after = await runScenario(scenario({ name: '1M rps, 300 colos × 4 isolates, as shipped', rps: 1_000_000 }));
  const overLimit = await runScenario(overLimitScenario({ tailSampleIsolates: 1 }));
  const monthly = [];
  // Thin traffic runs on fewer isolates (an idle isolate is evicted): 100M a month on one isolate in 100 colos.
  for (const [perMonth, colos, isolatesPerColo] of [
    [100e6, 100, 1],
    [10e9, 300, 4],
  ]) {
    const rps = perMonth / SECONDS_PER_MONTH;
    const name = `${n(perMonth / 1e6)}M requests/month (${n(rps)} rps, ${colos} colos × ${isolatesPerColo})`;
    const result = await runScenario(scenario({ name, rps, colos, isolatesPerColo }));
    monthly.push({ result, bill: monthlyBill(result, perMonth) });
  }
  return { before, after, overLimit, monthly };
}

function n(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function doBillRows(b: DoBill): Row[] {
  const rows: Row[] = [];
  for (const r of [b.before, b.after]) {
    for (const f of r.features) {
      rows.push([
        `DO bill, ${r.scenario.name}: ${f.feature}`,
        `${n(f.perMillion, 1)} /1M req`,
        `busiest object ${n(f.peakRps)} rps; ${n(f.objects)} objects`,
      ]);
    }
    const perK = sharedStatePerThousand(r);
    const peak = peakRps(r);
    rows.push([
      `DO bill, ${r.scenario.name}: health checks + least_conn + metrics`,
      `${n(perK, 2)} /1k req`,
      `target < 1${perK < 1 ? ' (met)' : ' (NOT met)'}; busiest object of all ${n(peak.rps)} rps (${peak.feature}), target ≤ 500${peak.rps <= 500 ? ' (met)' : ' (NOT met)'}`,
    ]);
  }
  const hot = b.overLimit.features.find((f) => f.feature === 'rate_limit, hot key')!;
  rows.push([
    `DO bill, ${b.overLimit.scenario.name}: rate_limit, hot key`,
    `${n(hot.perMillion, 1)} /1M req`,
    `busiest object ${n(hot.peakRps)} rps (target ≤ 500${hot.peakRps <= 500 ? ', met' : ', NOT met'}); ${n(b.overLimit.hotAllowed)} allowed in ${b.overLimit.scenario.seconds} s`,
  ]);
  for (const { result, bill } of b.monthly) {
    rows.push([
      `DO bill, ${result.scenario.name}`,
      `$${n(bill.dollars, 2)}/month`,
      `${n(bill.callsPerMonth / 1e6, 1)}M calls, ${n(bill.gbSecondsPerMonth)} GB-s (code as shipped); prices: ${PRICES.source}`,
    ]);
  }
  return rows;
}

/** The 1M rps fleet with the hot key only (no Zipf tail): what the targets are about, fast enough for CI. */
export async function targetRuns(): Promise<{ shipped: SimResult; noBudget: SimResult; overLimit: SimResult }> {
  const base = { rps: 1_000_000, tailSampleIsolates: 1, warmupSeconds: 8 };
  const shipped = await runScenario(scenario({ ...base, name: 'shipped' }));
  const noBudget = await runScenario(scenario({ ...base, name: 'no pool refresh budget', poolRefreshBudget: false }));
  // A whole window or more, so that the grants of a window can be counted.
  const overLimit = await runScenario(overLimitScenario({ tailSampleIsolates: 1, seconds: 10 }));
  return { shipped, noBudget, overLimit };
}

/** The hot key over its limit (an abusive client at 100k requests/s against 1,000 per 10 s): one wave a window. */
export function overLimitScenario(over: Partial<Scenario> = {}): Scenario {
  return scenario({
    name: '1M rps, hot key over its limit (1,000 per 10 s)',
    rps: 1_000_000,
    hotLimit: { maxEvents: 1000, windowMs: 10_000 },
    warmupSeconds: 18,
    ...over,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--target')) {
  console.log(JSON.stringify(await targetRuns()));
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await doBill();
  if (process.argv.includes('--json')) console.log(JSON.stringify(b));
  else {
    const { printTable } = await import('./table.ts');
    printTable('Durable Object calls and bill (simulated fleet; model in test/bench/sim/simulate.ts)', doBillRows(b));
  }
}
