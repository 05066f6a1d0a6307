// The typed CIB: what Pacemaker's configuration and status sections hold, for
// edgeha's scope. Scores and durations stay as written (strings) beside parsed
// values where a consumer needs them, so an import followed by an export keeps
// what the administrator wrote. Every element also keeps the attributes we do
// not model in `extra`, so nothing in scope is lost on the way through.

import type { Alert } from "./alerts";

export type Attributes = Record<string, string>;

/** A rule on node attributes (location constraints, attribute sets). */
export interface Rule {
  id: string;
  /** Written as a reference (id-ref) to the rule with this id; the fields hold that rule's contents. */
  idRef?: string;
  score?: string;
  scoreAttribute?: string;
  booleanOp: "and" | "or";
  role?: string;
  expressions: Expression[];
  rules: Rule[];
  /** rsc_expression: matches a resource by its class, provider and type (those given). */
  resourceExpressions?: ResourceExpression[];
  /** date_expression: holds at some times (in_range, gt, lt, date_spec). */
  dateExpressions?: DateExpression[];
  /** op_expression: matches an operation by name and interval (op_defaults). */
  operationExpressions?: OperationExpression[];
}

export interface DateExpression {
  id: string;
  /** in_range (when absent), gt, lt or date_spec. */
  operation?: string;
  start?: string;
  end?: string;
  /** The <duration> element's attributes (id, years, months, weeks, days, hours, minutes, seconds). */
  duration?: Attributes;
  /** The <date_spec> element's attributes (id, hours, monthdays, weekdays, yeardays, months, weeks, years, weekyears, moon, ...). */
  dateSpec?: Attributes;
}

export interface OperationExpression {
  id: string;
  name: string;
  /** As written ("10s", "0"); absent matches any interval. */
  interval?: string;
}

export interface ResourceExpression {
  id: string;
  class?: string;
  provider?: string;
  type?: string;
}

export interface Expression {
  id: string;
  attribute: string;
  operation: string;
  value?: string;
  type?: string;
  valueSource?: string;
}

/** An nvpair set (instance_attributes, meta_attributes, cluster_property_set, ...). */
export interface NvSet {
  id: string;
  /** The set was written as a reference to another set's id. */
  idRef?: string;
  score?: string;
  rule?: Rule;
  /** Resolved values: an nvpair written as id-ref holds the value of the nvpair it names. */
  values: Attributes;
  /** Names whose nvpair was written as a reference (id-ref) to another nvpair's id. */
  pairRefs?: Attributes;
  /** The id of each nvpair by name, as written (export makes up valid, unique ids for names missing here). */
  pairIds?: Attributes;
}

export interface Operation {
  id: string;
  name: string;
  /** As written ("10s", "0", "PT10S"); intervalMs is its value. */
  interval: string;
  intervalMs: number;
  timeout?: string;
  role?: string;
  onFail?: string;
  enabled?: string;
  extra: Attributes;
  meta: NvSet[];
  instance: NvSet[];
}

export interface Primitive {
  kind: "primitive";
  id: string;
  class: string;
  provider?: string;
  type: string;
  extra: Attributes;
  instance: NvSet[];
  meta: NvSet[];
  operations: Operation[];
  /** Capacity it uses on its node, for placement-strategy (utilization sets). */
  utilization?: NvSet[];
  /** The <template> it was defined from; the template's definition is merged in on import. */
  template?: string;
}

/** A tag: a name constraints may use for a list of resources. */
export interface Tag {
  id: string;
  refs: string[];
}

export interface Group {
  kind: "group";
  id: string;
  extra: Attributes;
  instance: NvSet[];
  meta: NvSet[];
  members: Primitive[];
}

export interface Clone {
  kind: "clone";
  id: string;
  /** Written as <master> (Pacemaker 1.x) rather than <clone> with promotable=true. */
  legacyMaster: boolean;
  extra: Attributes;
  instance: NvSet[];
  meta: NvSet[];
  child: Primitive | Group;
}

export type Resource = Primitive | Group | Clone;

export interface LocationConstraint {
  kind: "location";
  id: string;
  /** The resource; "" when rscPattern names the resources instead. */
  rsc: string;
  /** rsc-pattern: a POSIX extended regular expression matched against the ids of top-level resources ("!" first: those it does not match). */
  rscPattern?: string;
  node?: string;
  score?: string;
  role?: string;
  rules: Rule[];
  extra: Attributes;
}

export interface ColocationConstraint {
  kind: "colocation";
  id: string;
  rsc: string;
  withRsc: string;
  score: string;
  rscRole?: string;
  withRscRole?: string;
  extra: Attributes;
}

export interface OrderConstraint {
  kind: "order";
  id: string;
  first: string;
  then: string;
  firstAction?: string;
  thenAction?: string;
  orderKind?: string;
  score?: string;
  symmetrical?: string;
  extra: Attributes;
}

/** A resource_set of a colocation or order constraint. */
export interface ResourceSet {
  id: string;
  /** The resource_ref ids, in order. */
  resources: string[];
  sequential?: string;
  requireAll?: string;
  action?: string;
  role?: string;
  score?: string;
  extra: Attributes;
}

/** rsc_colocation written with resource_set elements instead of rsc/with-rsc. */
export interface ColocationSetConstraint {
  kind: "colocation-sets";
  id: string;
  score: string;
  sets: ResourceSet[];
  extra: Attributes;
}

/** rsc_order written with resource_set elements instead of first/then. */
export interface OrderSetConstraint {
  kind: "order-sets";
  id: string;
  orderKind?: string;
  score?: string;
  symmetrical?: string;
  sets: ResourceSet[];
  extra: Attributes;
}

export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint | ColocationSetConstraint | OrderSetConstraint;

/** The resources a constraint names, sets included. */
export function constraintResources(constraint: Constraint): string[] {
  switch (constraint.kind) {
    case "location":
      return constraint.rscPattern !== undefined ? [] : [constraint.rsc];
    case "colocation":
      return [constraint.rsc, constraint.withRsc];
    case "order":
      return [constraint.first, constraint.then];
    case "colocation-sets":
    case "order-sets":
      return constraint.sets.flatMap((set) => set.resources);
    default: {
      const unknown: never = constraint;
      return unknown;
    }
  }
}

export interface CibNode {
  id: string;
  uname: string;
  type?: string;
  extra: Attributes;
  instance: NvSet[];
  utilization: NvSet[];
}

/** A fencing topology level; exactly one way of naming its target is set. */
export interface FencingLevel {
  id: string;
  index: number;
  /** A node name. */
  target?: string;
  /** A regular expression over node names (target-pattern). */
  targetPattern?: string;
  /** A node attribute that the target nodes have with targetValue (target-attribute, target-value). */
  targetAttribute?: string;
  targetValue?: string;
  devices: string[];
  extra: Attributes;
}

/** One recorded operation of a resource on a node (lrm_rsc_op). */
export interface OperationRecord {
  id: string;
  operation: string;
  callId: number;
  rcCode: number;
  opStatus: number;
  intervalMs: number;
  /** Every attribute as written, typed ones included (transition-key, last-rc-change, exit-reason, ...). */
  attributes: Attributes;
}

export interface ResourceHistory {
  id: string;
  class: string;
  provider?: string;
  type: string;
  extra: Attributes;
  operations: OperationRecord[];
}

export interface NodeStatus {
  id: string;
  uname: string;
  /** Every attribute of node_state as written (in_ccm, crmd, join, expected, ...). */
  attributes: Attributes;
  /** Transient node attributes (fail-count-*, last-failure-*, master-*, ...). */
  transient: NvSet[];
  resources: ResourceHistory[];
}

export interface CibVersion {
  adminEpoch: number;
  epoch: number;
  numUpdates: number;
}

export interface Cib {
  /** The edgeha CIB schema (src/cib/schema.ts); absent means schema 1, the form from before schemas were numbered. */
  schema?: number;
  version: CibVersion;
  /** Other attributes of the <cib> element (have-quorum, dc-uuid, validate-with, ...). */
  attributes: Attributes;
  properties: NvSet[];
  nodes: CibNode[];
  resources: Resource[];
  constraints: Constraint[];
  rscDefaults: NvSet[];
  opDefaults: NvSet[];
  fencingTopology: FencingLevel[];
  /** Alert agents and their recipients (<alerts>); absent in CIBs written before alerts existed. */
  alerts?: Alert[];
  /** Tags (optional: most CIBs have none). */
  tags?: Tag[];
  status: NodeStatus[];
}

export function emptyCib(): Cib {
  return {
    version: { adminEpoch: 0, epoch: 0, numUpdates: 0 },
    attributes: {},
    properties: [],
    nodes: [],
    resources: [],
    constraints: [],
    rscDefaults: [],
    opDefaults: [],
    fencingTopology: [],
    status: [],
  };
}

/** Merged values of sets in document order; the first set that names a key wins (no rules evaluated). */
export function flattenSets(sets: readonly NvSet[]): Attributes {
  const result: Attributes = {};
  for (const set of sets) {
    for (const [key, value] of Object.entries(set.values)) if (!(key in result)) result[key] = value;
  }
  return result;
}

/** Every primitive, including group members and clone children. */
export function allPrimitives(resources: readonly Resource[]): Primitive[] {
  const result: Primitive[] = [];
  const visit = (resource: Resource): void => {
    switch (resource.kind) {
      case "primitive":
        result.push(resource);
        return;
      case "group":
        result.push(...resource.members);
        return;
      case "clone":
        visit(resource.child);
        return;
    }
  };
  resources.forEach(visit);
  return result;
}
