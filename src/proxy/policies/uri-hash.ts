import { fixedPolicy } from './module.ts';
import { hostByHashing } from './util.ts';

/** `uri_hash`: rendezvous hash of the request URI (path and query) the upstream will see. */
export const uriHashPolicy = fixedPolicy('uri_hash', (pool, req) => hostByHashing(pool, req.uri));
