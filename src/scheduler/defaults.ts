// Part of pass 1 (unpack): the rules of the configuration that do not depend on a node are
// evaluated once, at the scheduler's `now`, as Pacemaker evaluates them when it unpacks the
// CIB: cluster property sets, node attribute sets and resource meta-attribute sets whose rule
// does not hold are left out and the others ordered by score (pe_eval_nvpairs: no node, the
// resource's class/provider/type for rsc_expression); rsc_defaults sets with a rule apply only
// to the resources the rule matches. The scheduler reads the rule-less defaults from the CIB's
// rsc_defaults; a matching ruled set is given to each primitive it matches as its own lowest
// meta attributes, for the names neither the primitive nor its group or clone sets (a
// resource's own and its parents' meta win over defaults). Sets that depend on a node
// (resource instance attributes) are evaluated where the node is known (digest.ts).
import { clusterOptions, flattenSets, type Cib, type ClusterOptions, type NvSet, type Primitive, type Resource, type RuleClock } from "../cib";
import { applicableSets, evaluateSets, ruleHolds, setsNeedEvaluation, type RuleContext } from "./rules";

export function evaluateConfigurationRules(cib: Cib, clock: RuleClock): Cib {
  // The sets that apply, in order, without their rules (evaluated here once, for good).
  const ruleless = (set: NvSet): NvSet => { const { rule: _evaluated, ...rest } = set; return rest; };
  const evaluated = (sets: NvSet[], context: RuleContext): NvSet[] => (setsNeedEvaluation(sets) ? applicableSets(sets, context).map(ruleless) : sets);
  const resource = (item: Resource): Resource => {
    switch (item.kind) {
      case "primitive": return setsNeedEvaluation(item.meta) ? { ...item, meta: evaluated(item.meta, { ...clock, resource: item }) } : item;
      case "group": {
        const members = item.members.map((member) => resource(member) as Primitive);
        const meta = evaluated(item.meta, clock);
        return meta === item.meta && members.every((member, index) => member === item.members[index]) ? item : { ...item, meta, members };
      }
      case "clone": {
        const child = resource(item.child) as Primitive | Extract<Resource, { kind: "group" }>;
        const meta = evaluated(item.meta, clock);
        return meta === item.meta && child === item.child ? item : { ...item, meta, child };
      }
    }
  };
  const withRules = {
    ...cib,
    properties: propertySetsAt(cib.properties, clock),
    nodes: cib.nodes.map((node) => (setsNeedEvaluation(node.instance) ? { ...node, instance: evaluated(node.instance, clock) } : node)),
    resources: cib.resources.map(resource),
  };
  return applyRuledDefaults(withRules, clock);
}

/**
 * The cluster property sets in force at a time, without their rules: a set with a rule only
 * while its rule holds, evaluated without a node or a resource (unpack_config, and the
 * controller's and fencer's reading of crm_config: pe_unpack_nvpairs with the time alone).
 */
export function propertySetsAt(sets: NvSet[], clock: RuleClock): NvSet[] {
  if (!sets.some((set) => set.rule !== undefined)) return sets;
  return sets.filter((set) => set.rule === undefined || ruleHolds(set.rule, clock)).map(({ rule: _evaluated, ...rest }) => rest);
}

/**
 * The typed cluster options in force at a time, as the scheduler reads them. Every reader of
 * cluster properties outside the scheduler (the DC, the executor, the fencer, status, metrics,
 * the CLI) takes them from here, so a rule (a time-based stonith-enabled or maintenance-mode)
 * means the same everywhere (test/unit/scheduler/property-rules.test.ts checks that nothing else
 * calls clusterOptions).
 */
export function clusterOptionsAt(cib: Pick<Cib, "properties">, clock: RuleClock): { options: ClusterOptions; warnings: string[] } {
  return clusterOptions({ properties: propertySetsAt(cib.properties, clock) });
}

export function applyRuledDefaults(cib: Cib, clock: RuleClock): Cib {
  const ruled = cib.rscDefaults.filter((set) => set.rule !== undefined);
  if (ruled.length === 0) return cib;
  const plain = cib.rscDefaults.filter((set) => set.rule === undefined);
  const withDefaults = (primitive: Primitive, parents: readonly NvSet[]): Primitive => {
    const matching = applicableSets(ruled, { ...clock, resource: primitive });
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

/**
 * The op_defaults that apply to one operation of a resource (unpack_operation's defaults):
 * sets by score, a set with a rule only while its rule holds for this operation (op_expression
 * on name and interval), this resource (rsc_expression) and now (date expressions).
 */
export function operationDefaults(cib: Pick<Cib, "opDefaults">, primitive: Primitive, operation: { name: string; intervalMs: number }, clock: RuleClock): Record<string, string> {
  return evaluateSets(cib.opDefaults, { ...clock, resource: primitive, operation });
}
