import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, freePort, startGatehouse } from './local-runtime-helpers.ts';

// The dashboard against a real Prometheus: `gatehouse run` serves a Caddyfile whose requests each match several
// top-level routes, Prometheus scrapes it, and every panel query of dashboards/gatehouse.json is evaluated through
// Prometheus' HTTP API. The request totals must equal the requests sent.

const TOKEN = 'prometheus-scrape-token';
const JOB = 'gatehouse';
const SERVER = 'srv0';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const haveProm = onPath('prometheus') && onPath('promtool');

interface Target {
  expr: string;
  legendFormat?: string;
}
interface Panel {
  id: number;
  title: string;
  targets: Target[];
}
const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/gatehouse.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
};

/** Every request passes the rate_limit and header routes before its handle block: three top-level routes. */
function caddyfile(upstream: number, deadUpstream: number): string {
  return `{
	metrics
}
:8080 {
	rate_limit {
		zone limited {
			match {
				path /limited
			}
			key static
			events 2
			window 1m
		}
	}
	header X-Seen 1
	handle /ok {
		respond "ok" 200
	}
	handle /missing {
		respond "missing" 404
	}
	handle /fail {
		error "failed" 500
	}
	handle /up/* {
		reverse_proxy 127.0.0.1:${upstream}
	}
	handle /down {
		reverse_proxy 127.0.0.1:${deadUpstream}
	}
	handle /limited {
		respond "limited" 200
	}
}
`;
}

/** Path, times sent, and the status each answer must have. */
const TRAFFIC: Array<[string, number, number[]]> = [
  ['/ok', 5, [200]],
  ['/missing', 3, [404]],
  ['/fail', 2, [500]],
  ['/up/a', 4, [200]],
  ['/down', 2, [502]],
  ['/limited', 4, [200, 200, 429, 429]],
];
const SENT = TRAFFIC.reduce((n, [, times]) => n + times, 0);
const BY_CODE: Record<string, number> = {};
for (const [, times, codes] of TRAFFIC)
  for (let i = 0; i < times; i++)
    BY_CODE[codes[Math.min(i, codes.length - 1)]] = (BY_CODE[codes[Math.min(i, codes.length - 1)]] ?? 0) + 1;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promPort: number, expr: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** The panel expression as Grafana sends it for this target (variables as a single chosen value). */
function substitute(expr: string, instance: string): string {
  return expr
    .replaceAll('$job', JOB)
    .replaceAll('$instance', instance.replaceAll('.', '\\\\.'))
    .replaceAll('$server', SERVER)
    .replaceAll('$__rate_interval', '1m');
}

/** The same expression on the raw counters: what the rate panels add up to since start. */
function asTotals(expr: string): string {
  return expr.replace(/rate\(([^[]+)\[\$__rate_interval\]\)/g, '$1');
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<unknown> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill(signal);
  return exited(child);
}

describe('dashboard queries against a real Prometheus', () => {
  if (!haveProm) {
    it.skip('needs `prometheus` and `promtool` on PATH (apt-get install prometheus; .ci/run installs it)', () => {});
    return;
  }

  it('evaluates every panel with data, and the request totals equal the requests sent', {
    timeout: 90_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prometheus-test-'));
    const upstream: Server = createServer((_req, res) => res.end('from upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamPort = (upstream.address() as { port: number }).port;
    const [port, deadPort, promPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'Caddyfile'), caddyfile(upstreamPort, deadPort));
    writeFileSync(join(dir, 'token'), TOKEN);
    const instance = `127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ${JOB}
    metrics_path: /gatehouse-admin/metrics
    authorization:
      credentials_file: ${join(dir, 'token')}
    static_configs:
      - targets: ['${instance}']
`,
    );
    let gatehouse: ChildProcess | undefined;
    let prometheus: ChildProcess | undefined;
    let promLog = '';
    try {
      // Started first, so it sees the counters rise (its scrapes fail until the gateway listens).
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus.stdout!.on('data', (d) => (promLog += d));
      prometheus.stderr!.on('data', (d) => (promLog += d));

      const started = await startGatehouse(['run', '--listen', instance], dir, { METRICS_TOKEN: TOKEN });
      gatehouse = started.child;

      for (const [path, times, codes] of TRAFFIC) {
        for (let i = 0; i < times; i++) {
          const res = await fetch(`http://${instance}${path}`);
          await res.arrayBuffer();
          expect(res.status, `${path} #${i + 1}\n${started.log()}`).toBe(codes[Math.min(i, codes.length - 1)]);
        }
      }

      // The exposition passes Prometheus' own linter.
      const exposition = await (
        await fetch(`http://${instance}/gatehouse-admin/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      ).text();
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
      expect(lint.status, `promtool check metrics:\n${lint.stdout}${lint.stderr}`).toBe(0);

      // Rates need two samples in the window: wait until every request series has them and shows all requests.
      await waitFor(`the scrapes of all requests\n${promLog}`, 30_000, async () => {
        const scraped = await query(promPort, `sum(gatehouse_requests_total{job="${JOB}"})`);
        const samples = await query(promPort, `min(count_over_time(gatehouse_requests_total{job="${JOB}"}[1m]))`);
        return Number(scraped[0]?.value[1]) === SENT && Number(samples[0]?.value[1]) >= 2 ? true : undefined;
      });

      const empty: string[] = [];
      for (const panel of dashboard.panels) {
        let withData = 0;
        for (const t of panel.targets) {
          const expr = substitute(t.expr, instance);
          const result = await query(promPort, expr);
          if (result.length > 0) withData++;
          else empty.push(`${panel.title}: ${expr}`);
        }
        expect(withData, `panel "${panel.title}" has no data:\n${empty.join('\n')}`).toBeGreaterThan(0);
      }

      const target = (title: string, legend?: string) => {
        const panel = dashboard.panels.find((p) => p.title === title)!;
        return substitute(
          asTotals((legend ? panel.targets.find((t) => t.legendFormat?.startsWith(legend)) : panel.targets[0])!.expr),
          instance,
        );
      };
      // Requests per second, summed over time: each request once, though it ran through three top-level routes.
      const total = await query(promPort, target('Requests per second'));
      expect(total.map((s) => [s.metric.server, Number(s.value[1])])).toEqual([[SERVER, SENT]]);
      const byCode = await query(promPort, target('Responses by status code'));
      expect(Object.fromEntries(byCode.map((s) => [s.metric.code, Number(s.value[1])]))).toEqual(BY_CODE);
      const fivexx = await query(promPort, target('Errors per second', '5xx'));
      expect(fivexx.map((s) => Number(s.value[1]))).toEqual([BY_CODE['500'] + BY_CODE['502']]);
      // The latency percentiles are over every request once (the +Inf bucket of their histogram).
      const latency = await query(
        promPort,
        target('Request latency percentiles').replace(/^histogram_quantile\([\d.]+, (.*)\)$/, '$1'),
      );
      expect(latency.find((s) => s.metric.le === '+Inf')?.value[1]).toBe(String(SENT));
      // What the panels used to show: Caddy's per-route series summed over handlers count requests more than once.
      const perRoute = await query(promPort, `sum(caddy_http_requests_total{job="${JOB}"})`);
      expect(Number(perRoute[0].value[1])).toBeGreaterThan(SENT);
    } finally {
      await stop(prometheus, 'SIGTERM');
      await stop(gatehouse, 'SIGINT');
      await new Promise((r) => upstream.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
