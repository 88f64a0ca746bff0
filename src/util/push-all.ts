/**
 * Appends every item of `items` to `target`. `target.push(...items)` passes each item as an argument, which overflows
 * the stack once a Caddyfile has a few tens of thousands of tokens on a line or in an import.
 */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
