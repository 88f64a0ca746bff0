import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

// Which CPUs the HTTP benchmark's processes run on. Unpinned, wrk, the upstream and the gateway share every core,
// and where the scheduler puts them moves a contender's figures by 20-40 µs of CPU per request from one run to the
// next. Pinned, each gateway has one core to itself (workerd runs a Worker's requests on one thread; Caddy gets the
// same single core) and wrk and the upstream share the others, so a gateway's throughput is what its own CPU cost
// per request allows: the figure a deployment pays for. BENCH_PIN=0 runs unpinned.

export interface CpuPlan {
  /** The core each gateway process is pinned to (taskset list syntax). */
  gateway: string;
  /** The cores wrk, the upstream and the benchmark process itself run on. */
  load: string;
}

function haveTaskset(): boolean {
  return spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
}

/** The plan, or undefined where pinning is off or impossible (one core, no taskset). */
export function cpuPlan(env: NodeJS.ProcessEnv = process.env): CpuPlan | undefined {
  const n = availableParallelism();
  if (env.BENCH_PIN === '0' || n < 2 || !haveTaskset()) return undefined;
  return { gateway: String(n - 1), load: n === 2 ? '0' : `0-${n - 2}` };
}

/** Pins every thread of a running process (workerd and Caddy start threads of their own). */
export function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed for pid ${pid} (BENCH_PIN=0 runs unpinned): ${r.stderr}`);
}

/** How the plan reads in the table's notes. */
export function describePlan(plan: CpuPlan | undefined): string {
  return plan
    ? `each gateway pinned to CPU ${plan.gateway}, wrk and the upstream on CPU ${plan.load}`
    : 'unpinned (all processes share the cores)';
}
