import type { Template } from '../types.ts';
import { replaceAll } from './tpl.ts';
import { thenNext } from './then-next.ts';
import type { HandlerCompiler, HandlerModule } from './types.ts';

/** `vars`: sets request variables ({http.vars.*}, the `vars` matcher); string values expand placeholders. */
export const compileVars: HandlerCompiler = (json) => {
  const entries: Array<[Template, unknown]> = [];
  for (const [k, v] of Object.entries(json)) {
    if (k === 'handler') continue;
    entries.push([replaceAll(k), typeof v === 'string' ? replaceAll(v) : v]);
  }
  return thenNext((ctx) => {
    for (const [k, v] of entries) ctx.vars.set(k(ctx), typeof v === 'function' ? (v as Template)(ctx) : v);
  });
};

export const varsHandler: HandlerModule = { name: 'vars', compile: compileVars };
