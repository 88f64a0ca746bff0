import { ConfigError } from '../../config/errors.ts';
import { isDigits } from '../../util/digits.ts';

// Go's RE2 syntax and replacement templates ($1, ${name}) in JavaScript terms. Only the common differences are
// translated; a pattern JavaScript cannot compile fails the config compile.

/** Compiles a Go regexp; `global` for ReplaceAllString-style use. */
export function goRegexp(pattern: string, path: string, global = false): RegExp {
  let src = pattern;
  let flags = global ? 'g' : '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('U'))
      throw new ConfigError(`regexp ${JSON.stringify(pattern)}: the U (ungreedy) flag is not supported`, path);
    for (const f of lead[1]) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new ConfigError(`invalid regexp ${JSON.stringify(pattern)}: ${(e as Error).message}`, path);
  }
}

type Part = string | { group: string };

/** Parses a Go Expand template: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$' || i + 1 >= template.length) {
      lit += c;
      continue;
    }
    if (template[i + 1] === '$') {
      lit += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^\w+$/.test(inner)) {
        lit += c;
        continue;
      }
      name = inner;
      end = close;
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (!m) {
        lit += c;
        continue;
      }
      name = m[0];
      end = i + m[0].length;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push({ group: name });
    i = end;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** A replacer function for String.prototype.replace that expands a Go template. */
export function goReplacer(template: string): (match: string, ...rest: unknown[]) => string {
  const parts = parseTemplate(template);
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const numbered = rest.slice(0, named ? -3 : -2) as Array<string | undefined>;
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else if (isDigits(p.group)) {
        const n = Number(p.group);
        out += n === 0 ? match : (numbered[n - 1] ?? '');
      } else out += named?.[p.group] ?? '';
    }
    return out;
  };
}

/** Go's regexp.ReplaceAllString. */
export function replaceAllGo(input: string, re: RegExp, template: string): string {
  const g = re.global ? re : new RegExp(re.source, `${re.flags}g`);
  return input.replace(g, goReplacer(template));
}
