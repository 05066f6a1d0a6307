// Declarative configuration: the desired configuration sections replace the
// current ones as one versioned change (config apply, config import), and the
// change is described item by item before it is made. Pure.
import { diffCibs, semanticProblems, type Cib, type CibChange } from "../cib";
import { EdgehaError } from "../common/errors";
import { finishEdit } from "./edit";
import type { EditResult } from "./types";

export const CONFIGURATION_SECTIONS = ["properties", "nodes", "resources", "constraints", "rscDefaults", "opDefaults", "fencingTopology", "alerts", "tags"] as const;
export type ConfigurationSection = (typeof CONFIGURATION_SECTIONS)[number];

const SINGULAR: Record<string, string> = {
  properties: "property set", nodes: "node", resources: "resource", constraints: "constraint",
  rscDefaults: "resource defaults set", opDefaults: "operation defaults set", fencingTopology: "fencing level", alerts: "alert", tags: "tag", status: "status of node",
};

/**
 * The current CIB with the named sections taken from `desired` (all
 * configuration sections when `sections` is left out), version next after the
 * current one. Status and the <cib> attributes stay as they are.
 */
export function replaceConfiguration(current: Cib, desired: Cib, sections: readonly ConfigurationSection[] = CONFIGURATION_SECTIONS): EditResult {
  const draft = structuredClone(current);
  const target = draft as unknown as Record<ConfigurationSection, unknown>;
  for (const section of sections) target[section] = structuredClone(desired[section]);
  const problems = semanticProblems(draft);
  if (problems.length > 0) throw new EdgehaError("E_ADMIN_INVALID", `the desired configuration is not consistent:\n  ${problems.join("\n  ")}`);
  return finishEdit(current, draft, []);
}

function describeChange(change: CibChange, before: Cib): string {
  switch (change.kind) {
    case "attributes": return "~ cib attributes";
    case "put": {
      const existed = ((before[change.section] ?? []) as Array<{ id: string }>).some((item) => item.id === change.item.id);
      return `${existed ? "~" : "+"} ${SINGULAR[change.section]} ${change.item.id}`;
    }
    case "remove": return `- ${SINGULAR[change.section]} ${change.id}`;
    case "order": return `~ order of ${change.section}: ${change.ids.join(", ")}`;
    case "replace": return `~ all of ${change.section} (replaced)`;
    default: {
      const unknown: never = change;
      return String(unknown);
    }
  }
}

/** One line per changed item: "+ resource vip", "~ constraint c1", "- node n3". */
export function describeChanges(before: Cib, after: Cib): string[] {
  return diffCibs(before, after).changes.map((change) => describeChange(change, before));
}
