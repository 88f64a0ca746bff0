import type { Matcher, RequestContext } from '../types.ts';

// Matchers are synchronous; one that needs I/O first (`file`, which asks the static assets) carries a `prepare`
// step that the route list awaits before calling it. Sets, `not` and routes pass their parts' steps up, so routes
// without such a matcher await nothing.

export type Prepare = (ctx: RequestContext) => Promise<void>;

export function prepareOf(m: Matcher): Prepare | undefined {
  return (m as Matcher & { prepare?: Prepare }).prepare;
}

/** Gives `m` the prepare steps of `parts` (none: `m` unchanged). */
export function withPrepare(m: Matcher, parts: Matcher[]): Matcher {
  const steps = parts.map(prepareOf).filter((p): p is Prepare => p !== undefined);
  if (steps.length === 0) return m;
  const prepare: Prepare =
    steps.length === 1
      ? steps[0]
      : async (ctx) => {
          for (const step of steps) await step(ctx);
        };
  return Object.assign(m, { prepare });
}
