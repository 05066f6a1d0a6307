// Deterministic partition of nodes into fully connected groups.
//
// Every observer that holds the same reachability matrix computes the same result: take
// the largest clique (ties: the one whose sorted ids compare lowest), remove it, repeat.
// Exact search is fine for clusters of at most 16 nodes.
export type Adjacency = (a: number, b: number) => boolean;

export function partitionIntoCliques(nodes: readonly number[], connected: Adjacency): number[][] {
  let remaining = [...nodes].sort((a, b) => a - b);
  const groups: number[][] = [];
  while (remaining.length > 0) {
    const best = largestClique(remaining, connected);
    groups.push(best);
    remaining = remaining.filter((id) => !best.includes(id));
  }
  return groups;
}

function better(a: number[], b: number[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return b === undefined || a.length > b.length;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return a[index]! < b[index]!;
  return false;
}

/** Largest clique of sorted `nodes`, lexicographically lowest among equals. */
export function largestClique(nodes: readonly number[], connected: Adjacency): number[] {
  let best: number[] | undefined;
  const grow = (chosen: number[], candidates: number[]): void => {
    if (best !== undefined && chosen.length + candidates.length < best.length) return;
    if (candidates.length === 0) {
      if (better(chosen, best)) best = chosen;
      return;
    }
    const [first, ...rest] = candidates as [number, ...number[]];
    // Taking `first` before skipping it visits cliques in lexicographic order, so the first
    // found of a given size is the lowest one.
    grow([...chosen, first], rest.filter((id) => connected(first, id)));
    grow(chosen, rest);
  };
  grow([], [...nodes]);
  return best ?? [];
}
