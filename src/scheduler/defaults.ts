// Part of pass 1 (unpack): rsc_defaults sets with a rule apply only to the resources the rule
// matches (rsc_expression on class, provider and type). The scheduler reads the rule-less
// defaults from the CIB's rsc_defaults; a matching ruled set is given to each primitive it
// matches as its own lowest meta attributes, for the names neither the primitive nor its
// group or clone sets (a resource's own and its parents' meta win over defaults).
import { flattenSets, type Cib, type NvSet, type Primitive, type Resource } from "../cib";
import { ruleMatchesResource } from "./rules";

export function applyRuledDefaults(cib: Cib): Cib {
  const ruled = cib.rscDefaults.filter((set) => set.rule !== undefined);
  if (ruled.length === 0) return cib;
  const plain = cib.rscDefaults.filter((set) => set.rule === undefined);
  const withDefaults = (primitive: Primitive, parents: readonly NvSet[]): Primitive => {
    const matching = ruled.filter((set) => ruleMatchesResource(set.rule!, primitive));
    if (matching.length === 0) return primitive;
    const taken = { ...flattenSets(parents), ...flattenSets(primitive.meta) };
    const values = Object.fromEntries(Object.entries(flattenSets(matching)).filter(([name]) => !(name in taken)));
    return { ...primitive, meta: [...primitive.meta, { id: `${primitive.id}-rsc-defaults`, values }] };
  };
  const resource = (item: Resource, parents: readonly NvSet[]): Resource => {
    switch (item.kind) {
      case "primitive": return withDefaults(item, parents);
      case "group": return { ...item, members: item.members.map((member) => withDefaults(member, [...item.meta, ...parents])) };
      case "clone": return { ...item, child: resource(item.child, [...item.meta, ...parents]) as Primitive | Extract<Resource, { kind: "group" }> };
    }
  };
  return { ...cib, rscDefaults: plain, resources: cib.resources.map((item) => resource(item, [])) };
}
