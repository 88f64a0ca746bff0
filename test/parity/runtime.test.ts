import type { Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptCaddyfile } from '../../src/adapt/index.ts';
import { CADDY, caddyVersion } from './caddy.ts';
import { rendezvous } from './hash-oracle.ts';
import {
  freePort,
  send,
  startCaddy,
  startEcho,
  startGatehouse,
  type Gatehouse,
  type Observed,
  type SampleRequest,
} from './runtime-harness.ts';
import { startBlackhole, type Blackhole } from '../workers/blackhole.ts';

// Runtime parity: every sample in samples/run/ is served by real Caddy (`caddy run`) and by Gatehouse on workerd
// (`wrangler dev`, config swapped through the admin API), and the same requests must get the same status, body and
// chosen headers. Samples write their site as `:{$PORT}`; reverse_proxy samples reach echo upstreams at {$UP1}/{$UP2}/{$UP3}
// and dead ones (nothing listening) at {$DEAD1}…{$DEAD8}; {$BLACKHOLE} is a port whose TCP handshake never completes.
// PARITY_DEBUG=1 prints both observed responses for every request.

/** `sample#request` → why Gatehouse and Caddy 2.6.2 legitimately differ there. Keep short and honest. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  '27-reverse-proxy-status.Caddyfile#ok':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '27-reverse-proxy-status.Caddyfile#404':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '24-reverse-proxy-basic.Caddyfile#get':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '24-reverse-proxy-basic.Caddyfile#post':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '25-reverse-proxy-handle-path.Caddyfile#svc':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '26-reverse-proxy-rewrite.Caddyfile#old':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '26-reverse-proxy-rewrite.Caddyfile#plain':
    "Workers fetch() always sends the upstream URL's own host as Host (the client's host arrives in X-Forwarded-Host); Caddy passes the client's Host through or sets header_up Host",
  '02-respond-vs-redir.Caddyfile#html':
    'version: HEAD (which the adapter follows) gives `redir … html` a text/html Content-Type; 2.6.2 sends text/plain',
  '07-host-matcher.Caddyfile#api-upper':
    'the Host header reaches the Worker lowercased under wrangler dev; Caddy keeps the case the client sent in {host}',
  '10-path-regexp.Caddyfile#png':
    'version: HEAD also sets unnamed {re.N} for a named matcher; 2.6.2 only sets {re.<name>.N}',
  '16-error-handle-errors.Caddyfile#forbidden':
    'version: HEAD replaces known placeholders in the `error` message; 2.6.2 keeps them literally',
  '21-abort.Caddyfile#drop':
    'a Worker cannot drop the client connection: Gatehouse errors the response stream, which wrangler dev reports as 500 "Network connection lost"',
  '28-header-regexp.Caddyfile#bearer':
    'version: HEAD names an unnamed regexp matcher after its @name ({re.bearer.1}); 2.6.2 leaves it unnamed',
  '29-site-per-host.Caddyfile#c-redir':
    "wrangler dev's proxy rewrites response headers naming the request host to its own http:// origin (https://c.test/… becomes http://c.test/…)",
  '31-request-header.Caddyfile#add':
    'Workers Headers merge repeated fields with ", " so the value boundaries are gone; Go keeps them and {header.*} joins with ","',
  '35-respond-placeholders.Caddyfile#json':
    'version: 2.6.2 picks application/json from the body template before placeholders; HEAD (and Gatehouse) from the final body, here invalid JSON',
  '37-query-header-edges.Caddyfile#a-second':
    'version: HEAD matches `query a=1` against every value of a; 2.6.2 only against the first',
  '38-head-and-methods.Caddyfile#get':
    'version: HEAD uppercases `method` matcher values (get matches GET); 2.6.2 compares them as written',
  '40-header-shorthands.Caddyfile#plain':
    'version: HEAD reads `header >Name` as a deferred set; 2.6.2 takes ">X-Deferred" as the field name, which Go never sends',
  '45-rewrite-escaping.Caddyfile#enc-slash':
    'version: HEAD substitutes {path} into a rewrite target in escaped form (keeps %2F); 2.6.2 substitutes the decoded path',
  '51-proxy-dial-timeout.Caddyfile#hole-retry-post-body':
    'version: 2.6.2\'s transport closes the request body when the dial fails, so the retry fails ("invalid Read on closed Body", 502); later Caddy keeps the body for the retry, as Gatehouse does',
};

/**
 * Samples where Caddy 2.6.2 and current Caddy choose differently by design, checked request by request against an
 * independent oracle: Caddy 2.6.2 must pick what the old algorithm picks and Gatehouse what the current one picks.
 * Hash policies: rendezvous over FNV-1a 32 until Caddy 2.8 (commit 74949fb, #6203), xxhash64 since.
 */
const VERSION_ORACLES: Record<
  string,
  (req: SampleRequest, up: Record<string, string>) => { caddy: string; gatehouse: string } | undefined
> = {
  '49-proxy-hash-policies.Caddyfile': (req, up) => {
    const names = ['UP1', 'UP2', 'UP3'];
    const dials = names.map((n) => `127.0.0.1:${up[n]}`);
    const key = req.path.startsWith('/uri/')
      ? req.path
      : req.path.startsWith('/header/')
        ? req.headers?.['X-Key']
        : req.path.startsWith('/ip/')
          ? '127.0.0.1'
          : undefined;
    if (key === undefined) return undefined;
    return { caddy: names[rendezvous(dials, key, 'fnv32')]!, gatehouse: names[rendezvous(dials, key, 'xxhash64')]! };
  },
};

const dir = new URL('./samples/run/', import.meta.url).pathname;
const samples = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.Caddyfile'))
      .sort()
  : [];

interface Mismatch {
  key: string;
  what: string;
  caddy: string;
  gatehouse: string;
}

let total = 0;
let identical = 0;
let verifiedVersionDifferences = 0;
const mismatches: Mismatch[] = [];
const skipped: string[] = [];

function compare(key: string, req: SampleRequest, theirs: Observed, ours: Observed): Mismatch[] {
  const out: Mismatch[] = [];
  const add = (what: string, c: unknown, g: unknown) => {
    if (c !== g) out.push({ key, what, caddy: JSON.stringify(c), gatehouse: JSON.stringify(g) });
  };
  if (req.expectAbort) {
    // Abort: both must fail the connection (or at least not give a usable response).
    add('aborted', !!theirs.aborted, !!ours.aborted);
    return out;
  }
  add('aborted', !!theirs.aborted, !!ours.aborted);
  if (theirs.aborted || ours.aborted) return out;
  add('status', theirs.status, ours.status);
  add('body', theirs.body, ours.body);
  for (const h of req.compare ?? []) add(`header ${h}`, theirs.headers[h.toLowerCase()], ours.headers[h.toLowerCase()]);
  return out;
}

describe.skipIf(!CADDY || samples.length === 0)(`runtime parity against ${caddyVersion()}`, () => {
  let gatehouse: Gatehouse | undefined;
  let blackhole: Blackhole | undefined;
  const upstreams: Server[] = [];
  const upEnv: Record<string, string> = {};

  beforeAll(async () => {
    for (const name of ['UP1', 'UP2', 'UP3']) {
      const port = await freePort();
      upstreams.push(await startEcho(name, port));
      upEnv[name] = String(port);
    }
    // Ports nothing listens on (dead upstreams); one per sample so passive health state never carries over.
    for (let i = 1; i <= 8; i++) upEnv[`DEAD${i}`] = String(await freePort());
    blackhole = await startBlackhole();
    upEnv.BLACKHOLE = String(blackhole.port);
    gatehouse = await startGatehouse();
  }, 120_000);

  afterAll(async () => {
    await gatehouse?.stop();
    blackhole?.close();
    for (const s of upstreams) await new Promise<void>((r) => s.close(() => r()));
    console.log(
      `parity: ${identical}/${total} comparisons identical${verifiedVersionDifferences ? `; ${verifiedVersionDifferences} differ as the Caddy version's algorithm predicts (hash policies: FNV-1a in 2.6.2, xxhash64 in 2.8+)` : ''}`,
    );
    for (const m of mismatches) {
      const known = KNOWN_DIFFERENCES[m.key];
      console.log(
        `  ${known ? 'known' : 'MISMATCH'} ${m.key} ${m.what}: caddy=${m.caddy} gatehouse=${m.gatehouse}${known ? ` (${known})` : ''}`,
      );
    }
    for (const s of skipped) console.log(`  skipped ${s}`);
  }, 30_000);

  for (const file of samples) {
    it(file, async (ctx) => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const requests = JSON.parse(
        readFileSync(path.replace(/\.Caddyfile$/, '.requests.json'), 'utf8'),
      ) as SampleRequest[];
      let json: string;
      try {
        json = JSON.stringify(
          adaptCaddyfile(text, { filename: path, env: { ...upEnv, PORT: String(gatehouse!.port) } }).config,
        );
      } catch (e) {
        const msg = (e as Error).message;
        if (/unrecognized directive|not supported|unsupported/i.test(msg)) {
          skipped.push(`${file}: Gatehouse cannot adapt it yet (${msg})`);
          console.log(`parity: skipping ${file}: ${msg}`);
          ctx.skip();
          return;
        }
        throw e;
      }
      await gatehouse!.load(json);
      const ours: Observed[] = [];
      for (const req of requests) ours.push(await send(gatehouse!.port, withHost(req)));

      const caddyPort = await freePort();
      const caddy = await startCaddy(CADDY!, path, { ...upEnv, PORT: String(caddyPort) }, caddyPort);
      const theirs: Observed[] = [];
      try {
        for (const req of requests) theirs.push(await send(caddyPort, withHost(req)));
      } finally {
        await caddy.stop();
      }

      const unexpected: Mismatch[] = [];
      requests.forEach((req, i) => {
        const key = `${file}#${req.name}`;
        const found = compare(key, req, theirs[i]!, ours[i]!);
        if (process.env.PARITY_DEBUG) console.log(key, JSON.stringify(theirs[i]), JSON.stringify(ours[i]));
        total++;
        if (found.length === 0) identical++;
        const oracle = VERSION_ORACLES[file]?.(req, upEnv);
        if (oracle) {
          // Each side must pick what its algorithm picks; then a difference is the version change, nothing else.
          expect(theirs[i]!.headers['x-upstream'], `${key}: Caddy's pick vs the FNV-1a oracle`).toBe(oracle.caddy);
          expect(ours[i]!.headers['x-upstream'], `${key}: Gatehouse's pick vs the xxhash64 oracle`).toBe(
            oracle.gatehouse,
          );
          if (found.length > 0) verifiedVersionDifferences++;
          return;
        }
        mismatches.push(...found);
        if (!KNOWN_DIFFERENCES[key]) unexpected.push(...found);
        else if (found.length === 0)
          unexpected.push({ key, what: 'known difference no longer differs', caddy: '', gatehouse: '' });
      });
      expect(unexpected.map((m) => `${m.key} ${m.what}: caddy=${m.caddy} gatehouse=${m.gatehouse}`)).toEqual([]);
    }, 60_000);
  }
});

/** A fixed Host unless the request names one, so `{host}` and absolute redirects do not depend on either port. */
function withHost(req: SampleRequest): SampleRequest {
  const headers = { ...(req.headers ?? {}) };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.Host = 'parity.test';
  return { ...req, headers };
}

if (!CADDY) console.log('parity(runtime): skipped, caddy is not installed (apt-get install -y caddy)');
