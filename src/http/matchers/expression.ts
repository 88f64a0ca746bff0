import { expandShorthands } from '../../adapt/shorthands.ts';
import { resolvePlaceholder } from '../placeholders/index.ts';
import type { Matcher, RequestContext } from '../types.ts';
import { type CelValue, type Node, parseCel } from './cel-parse.ts';
import {
  bool,
  CelEvalError,
  celEquals,
  compare,
  type Eval,
  expandPlaceholders,
  INT_PLACEHOLDERS,
  size,
  str,
  toJSON,
  typeName,
} from './cel-runtime.ts';
import { compileHeader } from './header.ts';
import { compileHeaderRegexp } from './header-regexp.ts';
import { compileHost } from './host.ts';
import { compileClientIP, compileRemoteIP } from './ip.ts';
import { compileMethod } from './method.ts';
import { compilePath } from './path.ts';
import { compilePathRegexp } from './path-regexp.ts';
import { compileProtocol } from './protocol.ts';
import { compileQuery } from './query.ts';
import { goRegExp } from './regexp.ts';
import { matcherError, type MatcherCompileContext } from './types.ts';
import { compileVars, compileVarsRegexp } from './vars.ts';

// `expression` (Caddy's CEL matcher), a subset compiled to closures once. Supported:
//  * placeholders `{name}` (not preceded by `\`, name starting with a letter), rewritten like Caddy to
//    `ph(req, "name")`; `\{name}` stays literal text. Caddyfile shorthands (`{method}`, `{path}`, `{header.X}` …)
//    are expanded here too, so hand-written JSON expressions read like Caddyfile ones. Unknown placeholders are null. Integer-valued placeholders
//    (status codes, ports, unix times, year) are ints, the rest strings.
//  * literals: int, double, 'string' / "string" / raw r'…' / triple-quoted, true, false, null, [lists], {maps}
//  * operators: || && ! == != < <= > >= in (list membership, map key) + (strings, ints, lists) unary -, ?:,
//    indexing list[i] / map[k], map.field
//  * string methods: startsWith, endsWith, contains, matches (RE2 syntax), size, lowerAscii, upperAscii;
//    global functions size(), matches(s, re), int(), string()
//  * matcher functions (arguments must be literals): path('…', …), host(…), method(…), protocol('…'),
//    remote_ip('…', …), client_ip(…), header({'Field': 'v' | ['v', …]}), header_regexp([name,] field, re),
//    path_regexp([name,] re), query({'k': 'v' | ['v', …]}), vars({…}), vars_regexp([name,] key, re)
// Anything else (other functions or macros, *, /, %, timestamps, req fields) is rejected when the config compiles.
// A runtime type error (e.g. `'a' < 1`) makes the expression not match.

class Compiler {
  private readonly c: MatcherCompileContext;
  private readonly name: string;

  constructor(c: MatcherCompileContext, name: string) {
    this.c = c;
    this.name = name;
  }

  fail(msg: string): never {
    throw matcherError(this.c, `expression: ${msg}`);
  }

  /** Evaluates a node that must be constant (matcher function arguments). */
  literal(n: Node, what: string): CelValue {
    switch (n.k) {
      case 'lit':
        return n.v;
      case 'list':
        return n.items.map((x) => this.literal(x, what));
      case 'map':
        return new Map(n.entries.map(([k, v]) => [this.literal(k, what), this.literal(v, what)]));
      default:
        return this.fail(`arguments of ${what}() must be literals`);
    }
  }

  strings(args: Node[], fn: string): string[] {
    if (args.length === 0) this.fail(`${fn}() needs at least one argument`);
    return args.map((a) => {
      const v = this.literal(a, fn);
      if (typeof v !== 'string') this.fail(`${fn}() takes strings`);
      return v;
    });
  }

  /** Map literal whose values are a string or list of strings → {k: [v…]}. */
  stringListMap(args: Node[], fn: string): Record<string, string[]> {
    if (args.length !== 1) this.fail(`${fn}() takes one map argument`);
    const m = this.literal(args[0], fn);
    if (!(m instanceof Map)) this.fail(`${fn}() takes a map, e.g. ${fn}({'key': 'value'})`);
    const out: Record<string, string[]> = {};
    for (const [k, v] of m) {
      const vals = typeof v === 'string' ? [v] : toJSON(v);
      if (typeof k !== 'string' || !Array.isArray(vals) || vals.some((x) => typeof x !== 'string')) {
        this.fail(`${fn}() map values must be strings or lists of strings`);
      }
      out[k] = vals as string[];
    }
    return out;
  }

  matcherCall(fn: string, args: Node[]): Matcher | undefined {
    const c = { ...this.c, path: `${this.c.path}(${fn})` };
    const regexpArgs = (count: number): string[] => {
      const a = this.strings(args, fn);
      if (a.length === count) return [this.name, ...a];
      if (a.length === count + 1) return a;
      return this.fail(`${fn}() takes ${count} or ${count + 1} string arguments`);
    };
    switch (fn) {
      case 'path':
        return compilePath(this.strings(args, fn), c);
      case 'host':
        return compileHost(this.strings(args, fn), c);
      case 'method':
        return compileMethod(this.strings(args, fn), c);
      case 'protocol':
        return compileProtocol(this.strings(args, fn)[0], c);
      case 'remote_ip':
        return compileRemoteIP({ ranges: this.strings(args, fn) }, c);
      case 'client_ip':
        return compileClientIP({ ranges: this.strings(args, fn) }, c);
      case 'header':
        return compileHeader(this.stringListMap(args, fn), c);
      case 'query':
        return compileQuery(this.stringListMap(args, fn), c);
      case 'vars':
        return compileVars(this.stringListMap(args, fn), c);
      case 'path_regexp': {
        const [name, pattern] = regexpArgs(1);
        return compilePathRegexp({ name, pattern }, c);
      }
      case 'header_regexp': {
        const [name, field, pattern] = regexpArgs(2);
        return compileHeaderRegexp({ [field]: { name, pattern } }, c);
      }
      case 'vars_regexp': {
        const [name, key, pattern] = regexpArgs(2);
        return compileVarsRegexp({ [key]: { name, pattern } }, c);
      }
      // the file matcher asks the static assets first (an async step), which an expression cannot await
      case 'file':
        throw matcherError(c, 'file() in an expression is not supported by Gatehouse: use the file matcher');
      default:
        return undefined;
    }
  }

  regex(n: Node): (ctx: RequestContext) => RegExp {
    if (n.k === 'lit' && typeof n.v === 'string') {
      let re: RegExp;
      try {
        re = goRegExp(n.v);
      } catch (e) {
        return this.fail(`bad regexp ${n.v}: ${(e as Error).message}`);
      }
      return () => re;
    }
    const e = this.compile(n);
    return (ctx) => {
      try {
        return goRegExp(str(e(ctx), 'matches()'));
      } catch (err) {
        throw new CelEvalError((err as Error).message);
      }
    };
  }

  method(fn: string, target: Node, args: Node[]): Eval {
    const t = this.compile(target);
    const arity = (n: number): void => {
      if (args.length !== n) this.fail(`${fn}() takes ${n} argument(s)`);
    };
    switch (fn) {
      case 'startsWith':
      case 'endsWith':
      case 'contains': {
        arity(1);
        const a = this.compile(args[0]);
        return (ctx) => {
          const s = str(t(ctx), fn);
          const x = str(a(ctx), fn);
          return fn === 'startsWith' ? s.startsWith(x) : fn === 'endsWith' ? s.endsWith(x) : s.includes(x);
        };
      }
      case 'matches': {
        arity(1);
        const re = this.regex(args[0]);
        return (ctx) => re(ctx).test(str(t(ctx), fn));
      }
      case 'size':
        arity(0);
        return (ctx) => size(t(ctx));
      case 'lowerAscii':
        arity(0);
        return (ctx) => str(t(ctx), fn).replace(/[A-Z]/g, (ch) => ch.toLowerCase());
      case 'upperAscii':
        arity(0);
        return (ctx) => str(t(ctx), fn).replace(/[a-z]/g, (ch) => ch.toUpperCase());
      default:
        return this.fail(`unsupported method .${fn}()`);
    }
  }

  call(fn: string, args: Node[]): Eval {
    if (fn === 'ph') {
      const key =
        args.length === 2 && args[0].k === 'ident' && args[0].name === 'req' && args[1].k === 'lit'
          ? args[1].v
          : undefined;
      if (typeof key !== 'string') this.fail('ph() must be ph(req, "placeholder")');
      const isInt = INT_PLACEHOLDERS.has(key);
      return (ctx) => {
        const v = resolvePlaceholder(ctx, key);
        if (v === undefined) return null;
        return isInt && /^-?\d+$/.test(v) ? Number(v) : v;
      };
    }
    const m = this.matcherCall(fn, args);
    if (m) return m;
    switch (fn) {
      case 'size': {
        if (args.length !== 1) this.fail('size() takes 1 argument');
        const a = this.compile(args[0]);
        return (ctx) => size(a(ctx));
      }
      case 'matches': {
        if (args.length !== 2) this.fail('matches() takes 2 arguments');
        return this.method('matches', args[0], [args[1]]);
      }
      case 'int': {
        if (args.length !== 1) this.fail('int() takes 1 argument');
        const a = this.compile(args[0]);
        return (ctx) => {
          const v = a(ctx);
          if (typeof v === 'number') return Math.trunc(v);
          if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
          throw new CelEvalError(`int() of ${JSON.stringify(v)}`);
        };
      }
      case 'string': {
        if (args.length !== 1) this.fail('string() takes 1 argument');
        const a = this.compile(args[0]);
        return (ctx) => {
          const v = a(ctx);
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
          throw new CelEvalError(`string() of ${typeName(v)}`);
        };
      }
      default:
        return this.fail(`unsupported function ${fn}()`);
    }
  }

  compile(n: Node): Eval {
    switch (n.k) {
      case 'lit': {
        const v = n.v;
        return () => v;
      }
      case 'ident':
        return this.fail(`unknown identifier '${n.name}' (use {placeholders} for request data)`);
      case 'list': {
        const items = n.items.map((x) => this.compile(x));
        return (ctx) => items.map((e) => e(ctx));
      }
      case 'map': {
        const entries = n.entries.map(([k, v]) => [this.compile(k), this.compile(v)] as const);
        return (ctx) => new Map(entries.map(([k, v]) => [k(ctx), v(ctx)]));
      }
      case 'call':
        return n.target ? this.method(n.fn, n.target, n.args) : this.call(n.fn, n.args);
      case 'field': {
        const t = this.compile(n.target);
        const name = n.name;
        return (ctx) => {
          const m = t(ctx);
          if (!(m instanceof Map) || !m.has(name)) throw new CelEvalError(`no such key: ${name}`);
          return m.get(name) ?? null;
        };
      }
      case 'index': {
        const t = this.compile(n.target);
        const i = this.compile(n.index);
        return (ctx) => {
          const c = t(ctx);
          const k = i(ctx);
          if (Array.isArray(c) && typeof k === 'number' && k >= 0 && k < c.length) return c[k];
          if (c instanceof Map && c.has(k)) return c.get(k) ?? null;
          throw new CelEvalError('index out of range or no such key');
        };
      }
      case 'unary': {
        const a = this.compile(n.arg);
        if (n.op === '!') return (ctx) => !bool(a(ctx), '!');
        return (ctx) => {
          const v = a(ctx);
          if (typeof v !== 'number') throw new CelEvalError('unary - needs a number');
          return -v;
        };
      }
      case 'cond': {
        const c = this.compile(n.c);
        const t = this.compile(n.t);
        const f = this.compile(n.f);
        return (ctx) => (bool(c(ctx), '?:') ? t(ctx) : f(ctx));
      }
      case 'bin':
        return this.binary(n.op, n.l, n.r);
    }
  }

  binary(op: string, ln: Node, rn: Node): Eval {
    const l = this.compile(ln);
    const r = this.compile(rn);
    switch (op) {
      case '&&':
        return (ctx) => bool(l(ctx), '&&') && bool(r(ctx), '&&');
      case '||':
        return (ctx) => bool(l(ctx), '||') || bool(r(ctx), '||');
      case '==':
        return (ctx) => celEquals(l(ctx), r(ctx));
      case '!=':
        return (ctx) => !celEquals(l(ctx), r(ctx));
      case '<':
      case '<=':
      case '>':
      case '>=':
        return (ctx) => compare(op, l(ctx), r(ctx));
      case 'in':
        return (ctx) => {
          const v = l(ctx);
          const c = r(ctx);
          if (Array.isArray(c)) return c.some((x) => celEquals(x, v));
          if (c instanceof Map) return c.has(v);
          throw new CelEvalError(`'in' needs a list or map, got ${typeName(c)}`);
        };
      case '+':
        return (ctx) => {
          const a = l(ctx);
          const b = r(ctx);
          if (typeof a === 'string' && typeof b === 'string') return a + b;
          if (typeof a === 'number' && typeof b === 'number') return a + b;
          if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
          throw new CelEvalError(`no such overload: ${typeName(a)} + ${typeName(b)}`);
        };
      case '-':
        return (ctx) => {
          const a = l(ctx);
          const b = r(ctx);
          if (typeof a === 'number' && typeof b === 'number') return a - b;
          throw new CelEvalError(`no such overload: ${typeName(a)} - ${typeName(b)}`);
        };
      default:
        return this.fail(`unsupported operator ${op}`);
    }
  }
}

/** JSON: `"expr"` or `{"expr": "…", "name": "…"}` (name = default capture name for the regexp functions). */
export function compileExpression(json: unknown, c: MatcherCompileContext): Matcher {
  let expr: unknown = json;
  let name = '';
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    expr = (json as { expr?: unknown }).expr;
    const n = (json as { name?: unknown }).name;
    if (typeof n === 'string') name = n;
  }
  if (typeof expr !== 'string' || expr.trim() === '')
    throw matcherError(c, 'expression must be a non-empty CEL string');
  let ast: Node;
  try {
    ast = parseCel(expandPlaceholders(expandShorthands(expr)));
  } catch (e) {
    throw matcherError(c, `expression ${JSON.stringify(expr)}: ${(e as Error).message}`);
  }
  const compiler = new Compiler({ ...c, path: c.path }, name);
  let ev: Eval;
  try {
    ev = compiler.compile(ast);
  } catch (e) {
    throw matcherError(
      c,
      `expression ${JSON.stringify(expr)}: ${(e as Error).message.replace(/^.*?expression: /, '')}`,
    );
  }
  return (ctx) => {
    try {
      return ev(ctx) === true;
    } catch (e) {
      if (e instanceof CelEvalError) return false;
      throw e;
    }
  };
}
