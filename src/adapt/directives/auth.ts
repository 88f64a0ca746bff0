import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { nextArg } from './util.ts';

/**
 * `basic_auth [<matcher>] [<hash_algorithm> [<realm>]] { <username> <hashed_password>… }`, and the
 * deprecated `basicauth` spelling. The password stays the hash string exactly as written (bcrypt `$2a$…`, or its
 * legacy base64 form); the runtime decodes it.
 */
const HASH_ALGORITHMS = ['bcrypt', 'argon2id'];

export function parseBasicAuth(h: Helper): HandlerJSON {
  h.next(); // directive name
  if (h.val() === 'basicauth') h.warn("the 'basicauth' directive is deprecated, please use 'basic_auth' instead!");

  const args = h.remainingArgs();
  if (args.length > 2) throw h.argErr();
  const algorithm = args[0] ?? 'bcrypt';
  const realm = args[1] ?? '';
  if (!HASH_ALGORITHMS.includes(algorithm)) throw h.err(`unrecognized hash algorithm: ${algorithm}`);

  const accounts: { username: string; password: string }[] = [];
  for (const n = h.nesting(); h.nextBlock(n); ) {
    const username = h.val();
    const password = nextArg(h) ? h.val() : '';
    if (nextArg(h)) throw h.argErr();
    if (username === '' || password === '') throw h.err('username and password cannot be empty or missing');
    accounts.push({ username, password });
  }

  const basic: Record<string, unknown> = { hash: { algorithm } };
  if (accounts.length) basic.accounts = accounts;
  if (realm) basic.realm = realm;
  basic.hash_cache = {};
  return { handler: 'authentication', providers: { http_basic: basic } };
}

registerHandlerDirective('basic_auth', parseBasicAuth);
registerHandlerDirective('basicauth', parseBasicAuth);
