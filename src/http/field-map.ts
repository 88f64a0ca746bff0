/**
 * The header fields a handler can read and write: what Headers offers and header ops use. Both the runtime's
 * Headers and FieldMap have this shape.
 */
export interface HeaderFields {
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  getSetCookie(): string[];
  forEach(callback: (value: string, name: string) => void): void;
}

// RFC 9110 token characters: what Headers accepts as a field name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

function fieldName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
  return name.toLowerCase();
}

function fieldValue(value: string): string {
  const v = String(value).replace(EDGE_WHITESPACE, '');
  if (FORBIDDEN_IN_VALUE.test(v)) throw new TypeError('Invalid header value.');
  return v;
}

/**
 * A header map kept in JavaScript, for the fields handlers write before a response exists (Go's ResponseWriter
 * header map). In workerd every Headers call crosses into the runtime and `new Headers()` alone costs about a
 * microsecond, while a request usually writes one or two fields here: they are copied onto the real response once.
 * Behaves like Headers for what handlers use: case-insensitive names, values trimmed and validated (same errors
 * at the same moment), get() joining repeated values with ", ", Set-Cookie values kept apart, names in order.
 */
export class FieldMap implements HeaderFields {
  private readonly fields = new Map<string, string[]>();

  get size(): number {
    return this.fields.size;
  }

  get(name: string): string | null {
    const values = this.fields.get(name.toLowerCase());
    return values ? values.join(', ') : null;
  }

  has(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  set(name: string, value: string): void {
    this.fields.set(fieldName(name), [fieldValue(value)]);
  }

  append(name: string, value: string): void {
    const key = fieldName(name);
    const v = fieldValue(value);
    const values = this.fields.get(key);
    if (values) values.push(v);
    else this.fields.set(key, [v]);
  }

  delete(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...(this.fields.get('set-cookie') ?? [])];
  }

  /** Like Headers: names sorted, repeated values joined, each Set-Cookie value on its own. */
  forEach(callback: (value: string, name: string) => void): void {
    for (const name of [...this.fields.keys()].sort()) {
      const values = this.fields.get(name)!;
      if (name === 'set-cookie') for (const v of values) callback(v, name);
      else callback(values.join(', '), name);
    }
  }

  /** Each field name with its values, in the order the names were first written. */
  entries(): IterableIterator<[string, string[]]> {
    return this.fields.entries();
  }

  /** Writes every field onto `headers`, replacing the values it had for the same names. */
  copyTo(headers: Headers): void {
    for (const [name, values] of this.fields) {
      if (name === 'set-cookie') {
        headers.delete(name);
        for (const v of values) headers.append(name, v);
      } else headers.set(name, values.join(', '));
    }
  }
}
