import { ConfigError } from '../../config/errors.ts';
import type { RequestContext, Template } from '../types.ts';
import { goRegexp, goReplacer } from './regexp.ts';
import { replaceAll } from './tpl.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';
import { checkFields, checkHandler, isRecord, optString, stringList } from './util.ts';
import { addPlaceholderProvider } from './providers.ts';
import { thenNext } from './then-next.ts';

interface Mapping {
  input: string;
  re?: RegExp;
  /** Per destination: raw output (regexp expansion) and its template (literal input); null = skip. */
  outputs: Array<{ raw: string; tpl: Template } | null>;
}

/**
 * `map`: defines placeholders whose values are computed when first read, from `source` through the mappings
 * (literal inputs compare exactly and expand the output; regexp inputs expand $1-style groups) or the defaults.
 */
export const compileMap: HandlerCompiler = (json, deps) => {
  const path = deps.path;
  checkHandler(json, ['source', 'destinations', 'mappings', 'defaults'], path);
  const source = replaceAll(optString(json.source, 'source', path) ?? '');
  const destinations = stringList(json.destinations, 'destinations', path).map((d) => {
    if ((d.match(/\{/g) ?? []).length !== 1 || !d.startsWith('{')) {
      throw new ConfigError('map: destination must be a placeholder and only a placeholder', path);
    }
    return d.replace(/^\{|\}$/g, '');
  });
  const defaults = stringList(json.defaults, 'defaults', path).map(replaceAll);
  const rawMappings = Array.isArray(json.mappings) ? json.mappings : json.mappings === undefined ? [] : null;
  if (!rawMappings) throw new ConfigError('map: mappings must be a list', path);
  const mappings: Mapping[] = rawMappings.map((m, i) => {
    if (!isRecord(m)) throw new ConfigError(`map: mappings[${i}] must be an object`, path);
    checkFields(m, ['input', 'input_regexp', 'outputs'], path, `mappings[${i}]`);
    const re = optString(m.input_regexp, 'input_regexp', path);
    const outputs = Array.isArray(m.outputs) ? m.outputs : [];
    return {
      input: optString(m.input, 'input', path) ?? '',
      re: re ? goRegexp(re, `${path}.mappings[${i}]`) : undefined,
      outputs: destinations.map((_, d) => {
        const o: unknown = outputs[d];
        if (o === undefined || o === null) return null;
        const raw = typeof o === 'string' ? o : JSON.stringify(o);
        return { raw, tpl: replaceAll(raw) };
      }),
    };
  });

  const lookup = (ctx: RequestContext, name: string): string | undefined => {
    const d = destinations.indexOf(name);
    if (d < 0) return undefined;
    const input = source(ctx);
    for (const m of mappings) {
      const out = m.outputs[d];
      if (!out) continue;
      if (m.re) {
        const hit = m.re.exec(input);
        if (!hit) continue;
        const groups = hit.groups ? [hit.index, input, hit.groups] : [hit.index, input];
        return goReplacer(out.raw)(hit[0], ...hit.slice(1), ...groups);
      }
      if (input === m.input) return out.tpl(ctx);
    }
    return d < defaults.length ? defaults[d](ctx) : '';
  };

  return thenNext((ctx) => addPlaceholderProvider(ctx, (name) => lookup(ctx, name)));
};

export const mapHandler: HandlerModule = { name: 'map', compile: compileMap };
