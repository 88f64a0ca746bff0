import { isDigits } from '../util/digits.ts';
/**
 * Caddy's `/config/[path]` addressing: path segments are object keys or array indexes, walked from the config root.
 */
export function traverseConfig(
  root: unknown,
  path: string,
): { found: true; value: unknown } | { found: false; at: string } {
  const segments = path.split('/').filter((s) => s !== '');
  let node: unknown = root;
  for (const [i, seg] of segments.entries()) {
    const key = decodeURIComponent(seg);
    if (Array.isArray(node)) {
      if (!isDigits(key) || Number(key) >= node.length) return { found: false, at: segments.slice(0, i + 1).join('/') };
      node = node[Number(key)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return { found: false, at: segments.slice(0, i + 1).join('/') };
    }
  }
  return { found: true, value: node };
}
