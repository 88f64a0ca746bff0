// Parses a placeholder template once, ahead of time, following the scan Caddy's Replacer does per call
// (replacer.go `replace`): `\{` and `\}` are literal braces, a placeholder runs from an unescaped `{` to the first
// `}` not preceded by `\`, and an unclosed `{` is plain text.
//
// One subtlety decides the shape of the result: when a placeholder is *unknown* and the field keeps unknown ones
// (ReplaceKnown), Caddy writes the `{` and resumes scanning right after it, so a known placeholder nested inside
// (`{a{host}}`) is still replaced. Whether a key is known is a per-request fact, so each placeholder node carries two
// continuations: `after` (scan resumes past its `}`) and `inside` (scan resumes past its `{`). Nodes are memoised by
// position and built without recursion, so large bodies full of braces (JSON) neither blow up nor overflow the stack.

export interface PlaceholderNode<R> {
  key: string;
  /** What the caller attached to this key (a compiled resolver). */
  get: R;
  after: TemplateNode<R>;
  inside: TemplateNode<R>;
}

export interface TemplateNode<R> {
  /** Literal text before the next placeholder (escapes already removed). */
  text: string;
  ph?: PlaceholderNode<R>;
}

interface Scan {
  text: string;
  ph?: { key: string; open: number; end: number };
}

const ESC = '\\';

/** Scans from `start` to the first placeholder (or the end). */
function scanFrom(input: string, start: number): Scan {
  let text = '';
  let cursor = start;
  for (let i = start; i < input.length; i++) {
    const c = input[i];
    if (i > 0 && input[i - 1] === ESC && (c === '{' || c === '}')) {
      text += input.slice(cursor, i - 1);
      cursor = i;
      continue;
    }
    if (c !== '{') continue;
    let end = input.indexOf('}', i);
    if (end < 0) continue;
    // Skip escaped closing braces (Caddy accepts an escaped `}` as the end when it is the last character).
    let unclosed = false;
    while (end > 0 && end < input.length - 1 && input[end - 1] === ESC) {
      const next = input.indexOf('}', end + 1);
      if (next < 0) {
        unclosed = true;
        break;
      }
      end = next;
    }
    if (unclosed) continue;
    return { text: text + input.slice(cursor, i), ph: { key: input.slice(i + 1, end), open: i, end } };
  }
  return { text: text + input.slice(cursor) };
}

export function scanTemplate<R>(input: string, resolve: (key: string) => R): TemplateNode<R> {
  const nodes = new Map<number, TemplateNode<R>>();
  const scans = new Map<number, Scan>();
  const stack = [0];
  while (stack.length > 0) {
    const pos = stack[stack.length - 1];
    if (nodes.has(pos)) {
      stack.pop();
      continue;
    }
    let s = scans.get(pos);
    if (!s) {
      s = scanFrom(input, pos);
      scans.set(pos, s);
    }
    if (!s.ph) {
      nodes.set(pos, { text: s.text });
      stack.pop();
      continue;
    }
    const after = nodes.get(s.ph.end + 1);
    const inside = nodes.get(s.ph.open + 1);
    if (after && inside) {
      nodes.set(pos, { text: s.text, ph: { key: s.ph.key, get: resolve(s.ph.key), after, inside } });
      stack.pop();
      continue;
    }
    if (!after) stack.push(s.ph.end + 1);
    if (!inside) stack.push(s.ph.open + 1);
  }
  return nodes.get(0)!;
}
