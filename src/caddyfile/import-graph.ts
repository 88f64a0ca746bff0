import { pushAll } from '../util/push-all.ts';

/**
 * Which files and snippets import which (nodes are "file" or "file:snippet"), so that an import cycle is an error
 * instead of an endless expansion (Caddy's importgraph.go).
 */
export class ImportGraph {
  private readonly edges = new Map<string, Set<string>>();

  /** Records that `from` imports each of `to`; throws a message naming the pair that would close a cycle. */
  addEdges(from: string, to: string[]): void {
    for (const target of to) {
      if (target === from || this.reaches(target, from)) {
        throw new Error(`a cycle of imports exists between ${from} and ${target}`);
      }
      let set = this.edges.get(from);
      if (!set) this.edges.set(from, (set = new Set()));
      set.add(target);
    }
  }

  private reaches(start: string, goal: string): boolean {
    const seen = new Set<string>();
    const stack = [...(this.edges.get(start) ?? [])];
    while (stack.length) {
      const node = stack.pop()!;
      if (node === goal) return true;
      if (seen.has(node)) continue;
      seen.add(node);
      pushAll(stack, this.edges.get(node) ?? []);
    }
    return false;
  }
}
