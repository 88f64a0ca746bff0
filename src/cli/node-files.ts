import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { globNameRegExp } from '../caddyfile/import-glob.ts';
import type { FileSource } from '../caddyfile/serverblock.ts';

/** `import` in a Caddyfile read from disk: paths are relative to `cwd` unless absolute. */
export function nodeFileSource(cwd: string): FileSource {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    read(path) {
      try {
        return readFileSync(abs(path), 'utf8');
      } catch {
        return undefined;
      }
    },
    isDirectory(path) {
      try {
        return statSync(abs(path)).isDirectory();
      } catch {
        return false;
      }
    },
    /** Caddy allows one `*` and one `?` in the last path element; both match within a name, never across `/`. */
    glob(pattern) {
      const slash = pattern.lastIndexOf('/');
      const dir = slash < 0 ? '.' : pattern.slice(0, slash) || '/';
      const namePattern = pattern.slice(slash + 1);
      const re = globNameRegExp(namePattern);
      let names: string[];
      try {
        names = readdirSync(abs(dir));
      } catch {
        return [];
      }
      const prefix = slash < 0 ? '' : pattern.slice(0, slash + 1);
      return names
        .filter((n) => re.test(n))
        .sort()
        .map((n) => prefix + n);
    },
  };
}
