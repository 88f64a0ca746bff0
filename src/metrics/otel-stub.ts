// Stands in for @opentelemetry/api in the bundle (wrangler.toml [alias]). prom-client requires it only for the
// exemplars of its default process-CPU collector, which Gatehouse never registers; the real package is 66 KB of
// code every cold start would parse for nothing.
export const trace = { getSpan: (): undefined => undefined };
export const context = { active: (): undefined => undefined };
