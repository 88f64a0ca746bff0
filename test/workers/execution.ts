import { adaptCaddyfile } from '../../src/adapt/index.ts';

/** An execution context whose waitUntil work (pool reports, metrics flushes) the test can wait for. */
export function execution(): { exec: ExecutionContext; settle: () => Promise<void> } {
  const pending: Array<Promise<unknown>> = [];
  const exec = {
    waitUntil: (p: Promise<unknown>) => pending.push(p),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
  return {
    exec,
    settle: async () => {
      while (pending.length) await Promise.allSettled(pending.splice(0));
    },
  };
}

/** A Caddyfile's adapted JSON, as `gatehouse deploy` bakes it in (GATEHOUSE_CONFIG). */
export function configJson(caddyfile: string): string {
  return JSON.stringify(adaptCaddyfile(caddyfile, { filename: 'Caddyfile', env: {} }).config);
}

/** A client for the Worker's admin API (JSON bodies; GET without one), as an operator's tool would call it. */
export function adminClient(
  fetcher: { fetch(req: Request, env: never, exec: ExecutionContext): Promise<Response> },
  env: Record<string, unknown>,
  token: string,
  exec: ExecutionContext,
): (path: string, body?: unknown) => Promise<Response> {
  return (path, body) =>
    fetcher.fetch(
      new Request(`http://gw.test/gatehouse-admin${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      env as never,
      exec,
    );
}
