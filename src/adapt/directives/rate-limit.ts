import type { HandlerJSON, MatcherSetJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { parseNestedMatcherSet } from '../matchers.ts';
import { registerHandlerDirective } from '../registry.ts';
import { isDigits } from '../../util/digits.ts';
import { durationArg, requireArg } from '../args.ts';

/**
 * `rate_limit` with the caddy-ratelimit plugin's syntax: `zone NAME { key, window, events,
 * ipv4_prefix, ipv6_prefix, match }`, plus `jitter`, `sweep_interval`, `distributed`, `storage`, `log_key`,
 * `disable_metrics`. Gatehouse extensions: `fail_open` / `fail_closed` in a zone (what to do when the limiter
 * Durable Object is unreachable; default open), `lease on|off` in a zone (off: no leases, every request decided by
 * the limiter object; JSON `"lease": false`) and a top-level `ratelimit_headers` (IETF RateLimit-* headers).
 */

interface ZoneJSON {
  match?: MatcherSetJSON[];
  key?: string;
  window?: number;
  max_events?: number;
  ipv4_prefix?: number;
  ipv6_prefix?: number;
  fail_mode?: 'open' | 'closed';
  lease?: boolean;
}

const arg = requireArg;

function duration(h: Helper): number {
  return durationArg(h, arg(h), (t) => `invalid duration '${t}'`);
}

function integer(h: Helper, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = arg(h);
  if (!isDigits(text) || Number(text) < min || Number(text) > max) throw h.err(`invalid value '${text}'`);
  return Number(text);
}

function parseZone(h: Helper): [string, ZoneJSON] {
  const name = arg(h);
  if (h.nextArg()) throw h.argErr();
  const zone: ZoneJSON = {};
  for (const nesting = h.nesting(); h.nextBlock(nesting); ) {
    const opt = h.val();
    switch (opt) {
      case 'key':
        zone.key = arg(h);
        break;
      case 'window':
        zone.window = duration(h);
        break;
      case 'events':
        zone.max_events = integer(h, 1);
        break;
      case 'ipv4_prefix':
        zone.ipv4_prefix = integer(h, 0, 32);
        break;
      case 'ipv6_prefix':
        zone.ipv6_prefix = integer(h, 0, 128);
        break;
      case 'match':
        (zone.match ??= []).push(parseNestedMatcherSet(h));
        break;
      case 'fail_open':
      case 'fail_closed':
        zone.fail_mode = opt === 'fail_open' ? 'open' : 'closed';
        break;
      case 'lease': {
        const v = arg(h);
        if (v !== 'on' && v !== 'off') throw h.err(`lease must be 'on' or 'off', got '${v}'`);
        if (h.nextArg()) throw h.argErr();
        if (v === 'off') zone.lease = false;
        else delete zone.lease;
        break;
      }
      default:
        throw h.err(`unrecognized subdirective '${opt}'`);
    }
  }
  if (zone.window === undefined || zone.max_events === undefined) {
    throw h.err(`zone ${name}: window and events are required`);
  }
  return [name, zone];
}

function parseRateLimit(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (h.nextArg()) throw h.argErr();
  const json: HandlerJSON & Record<string, unknown> = { handler: 'rate_limit' };
  const zones: Record<string, ZoneJSON> = {};
  for (const nesting = h.nesting(); h.nextBlock(nesting); ) {
    const opt = h.val();
    switch (opt) {
      case 'zone': {
        const [name, zone] = parseZone(h);
        if (zones[name]) throw h.err(`duplicate zone: ${name}`);
        zones[name] = zone;
        break;
      }
      case 'jitter': {
        const text = arg(h);
        const j = Number(text);
        if (!(j >= 0 && j <= 1)) throw h.err(`jitter must be a fraction from 0 to 1, got '${text}'`);
        json.jitter = j;
        break;
      }
      case 'sweep_interval':
        json.sweep_interval = duration(h);
        break;
      case 'distributed': {
        // Every limit is already exact across isolates (one Durable Object per key); accept the plugin's options.
        const d: Record<string, number> = {};
        for (const n = h.nesting(); h.nextBlock(n); ) d[h.val()] = duration(h);
        json.distributed = d;
        break;
      }
      case 'storage':
        h.remainingArgs();
        for (const n = h.nesting(); h.nextBlock(n); ) h.remainingArgs();
        break;
      case 'log_key':
      case 'disable_metrics':
      case 'ratelimit_headers':
        json[opt] = true;
        break;
      default:
        throw h.err(`unrecognized subdirective '${opt}'`);
    }
  }
  json.rate_limits = zones;
  return json;
}

registerHandlerDirective('rate_limit', parseRateLimit);
