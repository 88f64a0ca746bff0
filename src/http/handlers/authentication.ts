import bcrypt from 'bcryptjs';
import { ConfigError } from '../../config/errors.ts';
import { HandlerError } from '../types.ts';
import { errorId } from './errors.ts';
import { responseHeaderMap } from './response.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkFields, checkHandler, isRecord, optRecord, optString } from './util.ts';

/** Where the authenticated user id is kept for {http.auth.user.id}. */
export const AUTH_USER_VAR = 'http.auth.user.id';

// Unknown users are checked against this hash so a wrong user costs about as much as a wrong password.
// Cost 10 rather than Caddy's 14: pure-JS bcrypt at 14 would spend over a second of Worker CPU per attempt.
const FAKE_HASH = '$2b$10$K5nj9ShB2Vtm2z2VQSxKsOSc5jd8IzGLWDeutiAqPp5IYOPG30NSy';

/** Verified (hash, password) pairs, per isolate: bcrypt is deliberately slow. Caddy caps its cache at 1000. */
const verified = new Map<string, boolean>();
const CACHE_MAX = 1000;

async function passwordMatches(hash: string, password: string): Promise<boolean> {
  const key = `${hash}\u0000${password}`;
  const hit = verified.get(key);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    ok = await bcrypt.compare(password, hash);
  } catch {
    ok = false;
  }
  if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(key, ok);
  return ok;
}

/** Go's Request.BasicAuth: `Basic base64(user:pass)`, scheme case-insensitive. */
function basicCredentials(header: string | null): [string, string] | undefined {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  let decoded: string;
  try {
    const bin = atob(header.slice(6));
    decoded = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/**
 * `authentication` with the `http_basic` provider (basic_auth): bcrypt account hashes, raw (`$2a$…`) or base64
 * encoded as Caddy accepts. Failure is a 401 error with WWW-Authenticate, so handle_errors can style it.
 */
export const compileAuthentication: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['providers'], path);
  const providers = optRecord(json.providers, 'providers', path) ?? {};
  for (const name of Object.keys(providers)) {
    if (name !== 'http_basic')
      throw new ConfigError(`authentication: provider "${name}" is not supported (only http_basic)`, path);
  }
  const basic = optRecord(providers.http_basic, 'http_basic', path);
  if (!basic) throw new ConfigError('authentication: no providers configured', path);
  const bpath = `${path}.providers.http_basic`;
  checkFields(basic, ['accounts', 'hash', 'hash_cache', 'realm'], bpath, 'http_basic');
  const hash = optRecord(basic.hash, 'hash', bpath);
  const algorithm = hash?.algorithm ?? 'bcrypt';
  if (algorithm !== 'bcrypt')
    throw new ConfigError(`http_basic: hash algorithm "${String(algorithm)}" is not supported (only bcrypt)`, bpath);
  if (hash) checkFields(hash, ['algorithm'], bpath, 'hash');
  const realm = optString(basic.realm, 'realm', bpath) || 'restricted';
  const accounts = new Map<string, string>();
  if (!Array.isArray(basic.accounts)) throw new ConfigError('http_basic: accounts must be a list', bpath);
  for (const [i, acct] of basic.accounts.entries()) {
    if (!isRecord(acct)) throw new ConfigError(`accounts[${i}] must be an object`, bpath);
    checkFields(acct, ['username', 'password', 'salt'], bpath, `accounts[${i}]`);
    const user = optString(acct.username, 'username', bpath);
    let pw = optString(acct.password, 'password', bpath);
    if (!user || !pw) throw new ConfigError(`accounts[${i}]: username and password are required`, bpath);
    if (!pw.startsWith('$')) {
      try {
        pw = atob(pw);
      } catch {
        throw new ConfigError(`accounts[${i}]: password hash is neither a bcrypt hash nor base64`, bpath);
      }
    }
    if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(pw))
      throw new ConfigError(`accounts[${i}] (${user}): not a bcrypt hash`, bpath);
    if (accounts.has(user)) throw new ConfigError(`username is not unique: ${user}`, bpath);
    accounts.set(user, pw.replace(/^\$2y\$/, '$2b$'));
  }
  const challenge = `Basic realm="${realm}"`;

  return async (ctx, next) => {
    const creds = basicCredentials(ctx.request.headers.get('authorization'));
    if (creds) {
      const known = accounts.get(creds[0]);
      const ok = await passwordMatches(known ?? FAKE_HASH, creds[1]);
      if (ok && known !== undefined) {
        ctx.vars.set(AUTH_USER_VAR, creds[0]);
        return next(ctx);
      }
    }
    responseHeaderMap(ctx).set('WWW-Authenticate', challenge);
    throw new HandlerError(401, 'not authenticated', errorId());
  };
};

export const authenticationHandler: HandlerModule = { name: 'authentication', compile: compileAuthentication };
