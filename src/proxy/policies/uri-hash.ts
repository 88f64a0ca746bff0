import type { SelectionPolicy } from '../types.ts';
import { hostByHashing } from './util.ts';

/** `uri_hash`: rendezvous hash of the request URI (path and query) the upstream will see. */
export const uriHashPolicy: SelectionPolicy = (pool, req) => hostByHashing(pool, req.uri);
