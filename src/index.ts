// Worker entry (thin): picks the active config (src/config/active.ts) and serves the request through it.
import { activeConfig } from './config/active.ts';
import { AbortConnection } from './config/compile.ts';

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const vars = env as Record<string, unknown>;
    let config;
    try {
      config = activeConfig(vars);
    } catch (e) {
      // A broken config must be visible to the operator (in the logs), not look like an empty 200 from the gateway.
      console.error(`gatehouse: config error: ${(e as Error).message}`);
      return new Response('Gatehouse: the configuration does not load (see the Worker logs)\n', { status: 500 });
    }
    try {
      return await config.serve(request, vars, ctx);
    } catch (e) {
      if (e instanceof AbortConnection) return abortedResponse();
      throw e;
    }
  },
} satisfies ExportedHandler;

/**
 * `abort` drops the connection without a response. A Worker cannot reset its client connection, so the closest
 * is a response whose body fails at once: the runtime then abandons the stream instead of completing it.
 */
function abortedResponse(): Response {
  const body = new ReadableStream({
    start(controller) {
      controller.error(new Error('aborted'));
    },
  });
  return new Response(body, { status: 502 });
}
