// Fencing topology levels resolved to the nodes they apply to. A level names its
// target by node name, by a regular expression over node names (unanchored, as
// Pacemaker's regexec matches), or by a node attribute in the nodes section.
import type { Cib, FencingLevel } from "./model";
import { flattenSets } from "./model";

export interface ResolvedFencingLevel {
  /** The node name the level applies to. */
  target: string;
  index: number;
  devices: string[];
  /** The id of the fencing-level it came from. */
  levelId: string;
}

function matches(level: FencingLevel, node: Cib["nodes"][number], warnings: string[]): boolean {
  if (level.target !== undefined) return level.target === node.uname;
  if (level.targetPattern !== undefined) {
    try {
      return new RegExp(level.targetPattern).test(node.uname);
    } catch {
      warnings.push(`fencing-level ${level.id}: target-pattern '${level.targetPattern}' is not a valid regular expression; the level applies to no node`);
      return false;
    }
  }
  if (level.targetAttribute !== undefined) return flattenSets(node.instance)[level.targetAttribute] === level.targetValue;
  return false;
}

/**
 * Every level of the topology for each node it applies to, ordered by node
 * name, then index. A level with a plain target applies to that name even when
 * the nodes section does not list it.
 */
export function resolveFencingLevels(cib: Pick<Cib, "nodes" | "fencingTopology">): { levels: ResolvedFencingLevel[]; warnings: string[] } {
  const warnings: string[] = [];
  const levels: ResolvedFencingLevel[] = [];
  for (const level of cib.fencingTopology) {
    const targets = new Set(cib.nodes.filter((node) => matches(level, node, warnings)).map((node) => node.uname));
    if (level.target !== undefined) targets.add(level.target);
    for (const target of targets) levels.push({ target, index: level.index, devices: [...level.devices], levelId: level.id });
  }
  levels.sort((left, right) => (left.target < right.target ? -1 : left.target > right.target ? 1 : left.index - right.index));
  return { levels, warnings: [...new Set(warnings)] };
}
