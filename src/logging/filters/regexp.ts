import { goRegexp, replaceAllGo } from '../../http/handlers/regexp.ts';
import { registerFieldFilter } from '../field-filter.ts';
import { listPassesAt, mapStrings } from './string-values.ts';

// `regexp <pattern> <value>`: Go's ReplaceAllString on the string or each header value; `$1`/`${name}` expand.
// `multi_regexp` (newer Caddy; the adapter emits it for several regexp filters on one field) runs each in order.

interface Operation {
  re: RegExp;
  value: string;
}

function operation(json: Record<string, unknown>): Operation {
  const pattern = typeof json.regexp === 'string' ? json.regexp : '';
  return { re: goRegexp(pattern, '', true), value: typeof json.value === 'string' ? json.value : '' };
}

function applyAll(ops: Operation[], s: string): string {
  let out = s;
  for (const op of ops) out = replaceAllGo(out, op.re, op.value);
  return out;
}

registerFieldFilter('regexp', (json, path) => {
  const ops = [operation(json)];
  const passes = listPassesAt(path);
  return (field) => ({ key: field.key, value: mapStrings(field.value, (s) => applyAll(ops, s), passes) });
});

registerFieldFilter('multi_regexp', (json, path) => {
  const passes = listPassesAt(path);
  const list = Array.isArray(json.operations) ? json.operations : [];
  const ops = list.map((o) => {
    const op = (o ?? {}) as Record<string, unknown>;
    if (typeof op.regexp !== 'string' || op.regexp === '') throw new Error('regexp pattern cannot be empty');
    return operation(op);
  });
  return (field) => ({ key: field.key, value: mapStrings(field.value, (s) => applyAll(ops, s), passes) });
});
