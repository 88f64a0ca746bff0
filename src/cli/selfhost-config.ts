/**
 * The workerd config (Cap'n Proto text) that runs a built Gatehouse bundle outside Cloudflare: the same Worker, its
 * Durable Objects persisted on local disk (SQLite under `dataDir`), vars as text bindings, and outbound fetch to
 * the internet and private networks (upstreams on a VPS are usually private addresses).
 */
export interface SelfhostOptions {
  /** Module file names in the bundle directory (embed paths are relative to the config file, written there); the first is the entry. */
  modules: Array<{ name: string; kind: 'esModule' | 'text' }>;
  dataDir: string;
  /** workerd's socket address: `unix:/path` behind the front (src/cli/front), or host:port. */
  listen: string;
  compatibilityDate: string;
  /** wrangler.toml's compatibility_flags, so the self-hosted Worker runs with the flags a deployment has. */
  compatibilityFlags?: string[];
  vars: Record<string, string>;
  /** Text bindings read from files next to the config (`embed`), so their values are on no command line. */
  embeddedText?: Record<string, string>;
  durableObjects: Array<{ binding: string; className: string }>;
  /** The static-assets directory (src/cli/assets-dir.ts), served read-only by a `disk` service bound as ASSETS. */
  assetsDir?: string;
}

const q = (s: string) => JSON.stringify(s); // Cap'n Proto text strings use the same escapes as JSON

/** The compatibility date and flags wrangler.toml sets (the same for a deployment and a self-hosted run). */
export function compatibilityOf(wranglerToml: string): { compatibilityDate: string; compatibilityFlags: string[] } {
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wranglerToml)?.[1] ?? '2026-11-01';
  const list = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(wranglerToml)?.[1] ?? '';
  return { compatibilityDate, compatibilityFlags: [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]) };
}

export function selfhostConfig(o: SelfhostOptions): string {
  const modules = o.modules.map((m) => `(name = ${q(m.name)}, ${m.kind} = embed ${q(m.name)})`).join(',\n        ');
  const bindings = [
    ...Object.entries(o.vars).map(([k, v]) => `(name = ${q(k)}, text = ${q(v)})`),
    ...Object.entries(o.embeddedText ?? {}).map(([k, file]) => `(name = ${q(k)}, text = embed ${q(file)})`),
    ...o.durableObjects.map(
      (d) => `(name = ${q(d.binding)}, durableObjectNamespace = (className = ${q(d.className)}))`,
    ),
    ...(o.assetsDir === undefined ? [] : ['(name = "ASSETS", service = "assets")']),
  ].join(',\n        ');
  const namespaces = o.durableObjects
    .map((d) => `(className = ${q(d.className)}, uniqueKey = ${q(`gatehouse-${d.className}`)}, enableSql = true)`)
    .join(',\n        ');
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "gatehouse", worker = .gatehouse),
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
    (name = "data", disk = (path = ${q(o.dataDir)}, writable = true)),${
      o.assetsDir === undefined
        ? ''
        : `
    (name = "assets", disk = (path = ${q(o.assetsDir)}, writable = false)),`
    }
  ],
  sockets = [ (name = "http", address = ${q(o.listen)}, http = (), service = "gatehouse") ],
);

const gatehouse :Workerd.Worker = (
  modules = [
        ${modules}
  ],
  compatibilityDate = ${q(o.compatibilityDate)},
  compatibilityFlags = [${(o.compatibilityFlags ?? []).map(q).join(', ')}],
  bindings = [
        ${bindings}
  ],
  durableObjectNamespaces = [
        ${namespaces}
  ],
  durableObjectStorage = (localDisk = "data"),
  globalOutbound = "internet",
);
`;
}
