import { Router, type IRequest } from 'itty-router';
import {
  MAX_CONFIG_BYTES,
  type ConfigSnapshot,
  type ConfigStore,
  type NewVersion,
  type StoreResult,
} from '../../durable/config-store.ts';
import type { UpstreamStatus } from '../proxy/upstream-status.ts';
import { readBodyLimited, tooLarge } from './body.ts';
import { traverseConfig } from './config-path.ts';
import { etagFor } from './etag.ts';
import { errorResponse, jsonResponse } from './responses.ts';
import type { PreparedConfig } from './prepare.ts';

/**
 * The admin API. Caddy-compatible where Caddy has the endpoint (`/load`, `/adapt`, `GET /config/…` with
 * Etag/If-Match), plus versions and staged rollout. Every change goes through the config store in one transaction;
 * a config that does not adapt or compile is rejected with its file:line error and nothing changes.
 */
export interface AdminDeps {
  store: DurableObjectStub<ConfigStore>;
  /** Adapts (if Caddyfile) and compiles a request body; throws a user-facing error. */
  prepare(body: string, contentType: string): PreparedConfig;
  /** Tells this isolate's config cache that the store changed. */
  changed(snapshot: ConfigSnapshot): void;
  /** This isolate's view of the upstreams of the configs it serves (Caddy's /reverse_proxy/upstreams). */
  upstreams(): Promise<UpstreamStatus[]>;
}

export function adminRouter(base: string, deps: AdminDeps) {
  const router = Router({ base });

  router.post('/load', async (req) => {
    const prepared = await prepareBody(req, deps);
    if (prepared instanceof Response) return prepared;
    const result = await deps.store.load(toVersion(prepared, req), ifMatch(req));
    if (!result.ok) return errorResponse(result.status, result.message);
    deps.changed(result.value.snapshot);
    if (result.value.unchanged) {
      const id = result.value.version.id;
      const warnings = prepared.warnings.length ? prepared.warnings : undefined;
      return jsonResponse({
        status: 'unchanged',
        version: id,
        message: `config unchanged: version ${id} is already active`,
        warnings,
      });
    }
    return prepared.warnings.length ? jsonResponse(prepared.warnings) : new Response(null, { status: 200 });
  });

  router.post('/adapt', async (req) => {
    const prepared = await prepareBody(req, deps);
    if (prepared instanceof Response) return prepared;
    return jsonResponse({
      warnings: prepared.warnings.length ? prepared.warnings : undefined,
      result: JSON.parse(prepared.json),
    });
  });

  router.get('/config/versions', async () => {
    const [versions, snapshot] = await Promise.all([deps.store.versions(), deps.store.snapshot()]);
    return jsonResponse({
      revision: snapshot.revision,
      active: snapshot.active?.id ?? null,
      candidate: snapshot.candidate?.id ?? null,
      percent: snapshot.percent,
      deployed: snapshot.deployed,
      versions,
    });
  });

  router.post('/config/rollout', async (req) => {
    const body = await readJsonObject(req);
    if (body instanceof Response) return body;
    const percent = Number(body.percent);
    let target: { id?: number; config?: NewVersion };
    if (body.config !== undefined || body.caddyfile !== undefined) {
      const text = typeof body.caddyfile === 'string' ? body.caddyfile : JSON.stringify(body.config);
      const prepared = tryPrepare(
        deps,
        text,
        typeof body.caddyfile === 'string' ? 'text/caddyfile' : 'application/json',
      );
      if (prepared instanceof Response) return prepared;
      target = { config: toVersion(prepared, req, typeof body.note === 'string' ? body.note : undefined) };
    } else if (Number.isInteger(body.version)) {
      target = { id: Number(body.version) };
    } else {
      return errorResponse(
        400,
        'rollout needs "version" (an existing version id) or "config"/"caddyfile" (a new config)',
      );
    }
    return snapshotResult(deps, await deps.store.rollout(target, percent, ifMatch(req)));
  });

  router.post('/config/promote', async (req) => snapshotResult(deps, await deps.store.promote(ifMatch(req))));

  router.post('/config/rollback', async (req) => {
    const body = await readJsonObject(req, true);
    if (body instanceof Response) return body;
    const id = body.version === undefined ? undefined : Number(body.version);
    if (id !== undefined && !Number.isInteger(id)) return errorResponse(400, '"version" must be a version id');
    return snapshotResult(deps, await deps.store.rollback(id, ifMatch(req)));
  });

  router.get('/config/*', async (req) => {
    const snapshot = await deps.store.snapshot();
    const config: unknown = snapshot.active ? JSON.parse(snapshot.active.json) : null;
    const path = new URL(req.url).pathname.slice(base.length);
    const found = traverseConfig(config, path.slice('/config'.length));
    if (!found.found) return errorResponse(404, `invalid traversal path at: ${found.at}`);
    const text = JSON.stringify(found.value ?? null);
    return new Response(`${text}\n`, {
      headers: { 'Content-Type': 'application/json', Etag: etagFor(path, snapshot.revision, text) },
    });
  });

  // Caddy's upstream list ({address, num_requests, fails}) plus shared health from the upstream pools.
  router.get('/reverse_proxy/upstreams', async () => jsonResponse(await deps.upstreams()));

  router.all('*', () => errorResponse(404, 'not found'));
  return router;
}

async function prepareBody(req: IRequest, deps: AdminDeps): Promise<PreparedConfig | Response> {
  const contentType = req.headers.get('Content-Type') ?? '';
  const body = await readBodyLimited(req as unknown as Request, MAX_CONFIG_BYTES);
  return typeof body === 'string' ? tryPrepare(deps, body, contentType) : body;
}

function tryPrepare(deps: AdminDeps, body: string, contentType: string): PreparedConfig | Response {
  let prepared: PreparedConfig;
  try {
    prepared = deps.prepare(body, contentType);
  } catch (e) {
    return errorResponse(400, (e as Error).message);
  }
  // A small Caddyfile can adapt to JSON over the limit (imports, snippets).
  return new TextEncoder().encode(prepared.json).byteLength > MAX_CONFIG_BYTES
    ? tooLarge(MAX_CONFIG_BYTES, 'adapted config')
    : prepared;
}

function toVersion(prepared: PreparedConfig, req: IRequest, note?: string): NewVersion {
  return {
    json: prepared.json,
    caddyfile: prepared.caddyfile,
    note: note ?? req.headers.get('X-Gatehouse-Note') ?? '',
  };
}

/** Caddy's If-Match, checked by the store inside the change's transaction (412 when stale). */
function ifMatch(req: IRequest): string | undefined {
  return req.headers.get('If-Match') ?? undefined;
}

async function readJsonObject(req: IRequest, emptyOk = false): Promise<Record<string, unknown> | Response> {
  const text = await readBodyLimited(req as unknown as Request, MAX_CONFIG_BYTES);
  if (typeof text !== 'string') return text;
  if (text.trim() === '' && emptyOk) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  return errorResponse(400, 'request body must be a JSON object');
}

function snapshotResult(deps: AdminDeps, result: StoreResult<ConfigSnapshot>): Response {
  if (!result.ok) return errorResponse(result.status, result.message);
  deps.changed(result.value);
  const s = result.value;
  return jsonResponse({
    revision: s.revision,
    active: s.active?.id ?? null,
    candidate: s.candidate?.id ?? null,
    percent: s.percent,
  });
}
