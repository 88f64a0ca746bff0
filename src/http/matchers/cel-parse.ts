// A parser for the subset of CEL (Common Expression Language) Gatehouse evaluates in `expression` matchers.
// Grammar (CEL precedence, lowest first):
//   expr    := or ('?' expr ':' expr)?
//   or      := and ('||' and)*
//   and     := rel ('&&' rel)*
//   rel     := add (('=='|'!='|'<'|'<='|'>'|'>='|'in') add)?
//   add     := unary (('+'|'-') unary)*
//   unary   := ('!'|'-') unary | member
//   member  := primary ('.' IDENT ('(' args ')')? | '[' expr ']')*
//   primary := INT | DOUBLE | STRING | true | false | null | '(' expr ')' | '[' list ']' | '{' map '}'
//            | IDENT '(' args ')' | IDENT
// Not supported (a compile error): multiplication/division/modulo, bytes and unsigned literals, comprehension macros
// (all/exists/map/filter), has(), message construction, timestamps and durations.

export type Node =
  | { k: 'lit'; v: CelValue }
  | { k: 'ident'; name: string }
  | { k: 'list'; items: Node[] }
  | { k: 'map'; entries: Array<[Node, Node]> }
  | { k: 'call'; fn: string; target?: Node; args: Node[] }
  | { k: 'index'; target: Node; index: Node }
  | { k: 'field'; target: Node; name: string }
  | { k: 'unary'; op: '!' | '-'; arg: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node };

export type CelValue = string | number | boolean | null | CelValue[] | Map<CelValue, CelValue>;

interface Tok {
  t: 'num' | 'str' | 'id' | 'op' | 'eof';
  v: string;
  n?: number;
  pos: number;
}

const OPS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
  '?',
  '+',
  '-',
  '*',
  '/',
  '%',
];

export class CelSyntaxError extends Error {}

function unescapeStr(body: string, raw: boolean): string {
  if (raw) return body;
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{3}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'u':
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        return /^[0-7]{3}$/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let raw = false;
    if ((c === 'r' || c === 'R') && (src[i + 1] === '"' || src[i + 1] === "'")) {
      raw = true;
      i++;
    }
    const q = src[i];
    if (q === '"' || q === "'") {
      const triple = src.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      let j = i + close.length;
      while (j < src.length && !src.startsWith(close, j)) j += !raw && src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new CelSyntaxError(`unterminated string at ${start}`);
      out.push({ t: 'str', v: unescapeStr(src.slice(i + close.length, j), raw), pos: start });
      i = j + close.length;
      continue;
    }
    i = start;
    const num = /^(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)([uU])?/.exec(src.slice(i));
    if (num) {
      if (num[4]) throw new CelSyntaxError(`unsigned literals are not supported (${num[0]})`);
      out.push({ t: 'num', v: num[0], n: Number(num[1]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelSyntaxError(`unexpected character '${c}' at ${i}`);
    out.push({ t: 'op', v: op, pos: i });
    i += op.length;
  }
  out.push({ t: 'eof', v: '', pos: src.length });
  return out;
}

export function parseCel(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p];
  const isOp = (v: string): boolean => peek().t === 'op' && peek().v === v;
  const eat = (v: string): void => {
    if (!isOp(v)) throw new CelSyntaxError(`expected '${v}' at ${peek().pos}, found '${peek().v || 'end'}'`);
    p++;
  };
  const args = (close: string): Node[] => {
    const out: Node[] = [];
    while (!isOp(close)) {
      out.push(expr());
      if (!isOp(close)) eat(',');
    }
    eat(close);
    return out;
  };
  const primary = (): Node => {
    const t = peek();
    p++;
    if (t.t === 'num') return { k: 'lit', v: t.n! };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (isOp('(')) {
        p++;
        return { k: 'call', fn: t.v, args: args(')') };
      }
      return { k: 'ident', name: t.v };
    }
    if (t.t === 'op') {
      if (t.v === '(') {
        const e = expr();
        eat(')');
        return e;
      }
      if (t.v === '[') return { k: 'list', items: args(']') };
      if (t.v === '{') {
        const entries: Array<[Node, Node]> = [];
        while (!isOp('}')) {
          const key = expr();
          eat(':');
          entries.push([key, expr()]);
          if (!isOp('}')) eat(',');
        }
        eat('}');
        return { k: 'map', entries };
      }
    }
    throw new CelSyntaxError(`unexpected '${t.v || 'end of expression'}' at ${t.pos}`);
  };
  const member = (): Node => {
    let n = primary();
    for (;;) {
      if (isOp('.')) {
        p++;
        const id = peek();
        if (id.t !== 'id') throw new CelSyntaxError(`expected a name after '.' at ${id.pos}`);
        p++;
        if (isOp('(')) {
          p++;
          n = { k: 'call', fn: id.v, target: n, args: args(')') };
        } else n = { k: 'field', target: n, name: id.v };
      } else if (isOp('[')) {
        p++;
        const index = expr();
        eat(']');
        n = { k: 'index', target: n, index };
      } else return n;
    }
  };
  const unary = (): Node => {
    if (isOp('!') || isOp('-')) {
      const op = peek().v as '!' | '-';
      p++;
      return { k: 'unary', op, arg: unary() };
    }
    return member();
  };
  const mul = (): Node => {
    const n = unary();
    if (isOp('*') || isOp('/') || isOp('%')) throw new CelSyntaxError(`operator '${peek().v}' is not supported`);
    return n;
  };
  const add = (): Node => {
    let n = mul();
    while (isOp('+') || isOp('-')) {
      const op = peek().v;
      p++;
      n = { k: 'bin', op, l: n, r: mul() };
    }
    return n;
  };
  const rel = (): Node => {
    const n = add();
    const t = peek();
    if ((t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) || (t.t === 'id' && t.v === 'in')) {
      p++;
      return { k: 'bin', op: t.v, l: n, r: add() };
    }
    return n;
  };
  const and = (): Node => {
    let n = rel();
    while (isOp('&&')) {
      p++;
      n = { k: 'bin', op: '&&', l: n, r: rel() };
    }
    return n;
  };
  const or = (): Node => {
    let n = and();
    while (isOp('||')) {
      p++;
      n = { k: 'bin', op: '||', l: n, r: and() };
    }
    return n;
  };
  function expr(): Node {
    const c = or();
    if (!isOp('?')) return c;
    p++;
    const t = expr();
    eat(':');
    return { k: 'cond', c, t, f: expr() };
  }
  const root = expr();
  if (peek().t !== 'eof') throw new CelSyntaxError(`unexpected '${peek().v}' at ${peek().pos}`);
  return root;
}
