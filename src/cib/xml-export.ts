// The typed model back to Pacemaker CIB XML. Importing the output gives the same
// model (test/conformance/cib-roundtrip.test.ts checks it on Pacemaker's corpus).
import type {
  Attributes, Cib, CibNode, Constraint, Expression, FencingLevel, NodeStatus, NvSet, Operation, Primitive, Resource, ResourceSet, Rule,
} from "./model";
import { renderXml, type XmlTree as XmlElement } from "./xml-tree";
import { alertsToXml } from "./alerts";

function element(name: string, attributes: Record<string, string | undefined>, children: XmlElement[] = []): XmlElement {
  const defined: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) defined[key] = value;
  return { name, attributes: defined, children };
}

function expression(item: Expression): XmlElement {
  return element("expression", {
    id: item.id, attribute: item.attribute, operation: item.operation, value: item.value, type: item.type, "value-source": item.valueSource,
  });
}

function rule(item: Rule): XmlElement {
  if (item.idRef !== undefined) return element("rule", { "id-ref": item.idRef });
  return element(
    "rule",
    { id: item.id, score: item.score, "score-attribute": item.scoreAttribute, "boolean-op": item.booleanOp, role: item.role },
    [
      ...item.expressions.map(expression),
      ...(item.resourceExpressions ?? []).map((entry) => element("rsc_expression", { id: entry.id, class: entry.class, provider: entry.provider, type: entry.type })),
      ...(item.dateExpressions ?? []).map((entry) => element("date_expression", { id: entry.id, operation: entry.operation, start: entry.start, end: entry.end }, [
        ...(entry.duration ? [element("duration", entry.duration)] : []),
        ...(entry.dateSpec ? [element("date_spec", entry.dateSpec)] : []),
      ])),
      ...(item.operationExpressions ?? []).map((entry) => element("op_expression", { id: entry.id, name: entry.name, interval: entry.interval })),
      ...item.rules.map(rule),
    ],
  );
}

// nvpairs whose id export made up; they get valid, unique ids in a last pass.
const madeUpIds = new WeakSet<XmlElement>();

/** An XML ID (NCName): letters, digits, '.', '-' and '_', not starting with a digit, '.' or '-'. */
function validId(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, "_");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function giveMadeUpIdsUniqueNames(root: XmlElement): void {
  const used = new Set<string>();
  const visit = (item: XmlElement, collect: boolean): void => {
    if (collect && !madeUpIds.has(item) && item.attributes.id !== undefined) used.add(item.attributes.id);
    if (!collect && madeUpIds.has(item)) {
      const base = validId(item.attributes.id!);
      let candidate = base;
      for (let counter = 2; used.has(candidate); counter += 1) candidate = `${base}-${counter}`;
      used.add(candidate);
      item.attributes.id = candidate;
    }
    item.children.forEach((child) => visit(child, collect));
  };
  visit(root, true);
  visit(root, false);
}

function nvSet(name: string, set: NvSet): XmlElement {
  if (set.idRef) return element(name, { "id-ref": set.idRef });
  const pairs = Object.entries(set.values).map(([key, value]) => {
    const pairRef = set.pairRefs?.[key];
    // Pacemaker's schema allows no value beside id-ref: the value comes from the pair referred to.
    if (pairRef !== undefined) return element("nvpair", { "id-ref": pairRef, name: key });
    const written = set.pairIds?.[key];
    const pair = element("nvpair", { id: written ?? `${set.id}-${key}`, name: key, value });
    if (written === undefined) madeUpIds.add(pair);
    return pair;
  });
  return element(name, { id: set.id, score: set.score }, [...(set.rule ? [rule(set.rule)] : []), ...pairs]);
}

const sets = (name: string, list: readonly NvSet[]): XmlElement[] => list.map((set) => nvSet(name, set));

function operation(item: Operation): XmlElement {
  return element(
    "op",
    { id: item.id, name: item.name, interval: item.interval, timeout: item.timeout, role: item.role, "on-fail": item.onFail, enabled: item.enabled, ...item.extra },
    [...sets("meta_attributes", item.meta), ...sets("instance_attributes", item.instance)],
  );
}

function primitive(item: Primitive): XmlElement {
  const children = [...sets("instance_attributes", item.instance), ...sets("meta_attributes", item.meta), ...sets("utilization", item.utilization ?? [])];
  if (item.operations.length > 0) children.push(element("operations", {}, item.operations.map(operation)));
  return element("primitive", { id: item.id, class: item.class, provider: item.provider, type: item.type, ...item.extra }, children);
}

function resource(item: Resource): XmlElement {
  switch (item.kind) {
    case "primitive":
      return primitive(item);
    case "group":
      return element("group", { id: item.id, ...item.extra }, [
        ...sets("instance_attributes", item.instance), ...sets("meta_attributes", item.meta), ...item.members.map(primitive),
      ]);
    case "clone":
      return element(item.legacyMaster ? "master" : "clone", { id: item.id, ...item.extra }, [
        ...sets("instance_attributes", item.instance), ...sets("meta_attributes", item.meta), resource(item.child),
      ]);
  }
}

function constraint(item: Constraint): XmlElement {
  switch (item.kind) {
    case "location":
      return element("rsc_location", { id: item.id, ...(item.rscPattern !== undefined ? { "rsc-pattern": item.rscPattern } : { rsc: item.rsc }), node: item.node, score: item.score, role: item.role, ...item.extra }, item.rules.map(rule));
    case "colocation":
      return element("rsc_colocation", {
        id: item.id, rsc: item.rsc, "with-rsc": item.withRsc, score: item.score, "rsc-role": item.rscRole, "with-rsc-role": item.withRscRole, ...item.extra,
      });
    case "order":
      return element("rsc_order", {
        id: item.id, first: item.first, then: item.then, "first-action": item.firstAction, "then-action": item.thenAction,
        kind: item.orderKind, score: item.score, symmetrical: item.symmetrical, ...item.extra,
      });
    case "colocation-sets":
      return element("rsc_colocation", { id: item.id, score: item.score, ...item.extra }, item.sets.map(resourceSet));
    case "order-sets":
      return element("rsc_order", { id: item.id, kind: item.orderKind, score: item.score, symmetrical: item.symmetrical, ...item.extra }, item.sets.map(resourceSet));
  }
}

function resourceSet(item: ResourceSet): XmlElement {
  return element(
    "resource_set",
    { id: item.id, sequential: item.sequential, "require-all": item.requireAll, action: item.action, role: item.role, score: item.score, ...item.extra },
    item.resources.map((id) => element("resource_ref", { id })),
  );
}

function node(item: CibNode): XmlElement {
  return element("node", { id: item.id, uname: item.uname, type: item.type, ...item.extra }, [
    ...sets("instance_attributes", item.instance), ...sets("utilization", item.utilization),
  ]);
}

function fencingLevel(item: FencingLevel): XmlElement {
  return element("fencing-level", {
    id: item.id, index: String(item.index), target: item.target, "target-pattern": item.targetPattern,
    "target-attribute": item.targetAttribute, "target-value": item.targetValue, devices: item.devices.join(","), ...item.extra,
  });
}

function nodeStatus(item: NodeStatus): XmlElement {
  const children: XmlElement[] = [];
  if (item.transient.length > 0) children.push(element("transient_attributes", { id: item.id }, sets("instance_attributes", item.transient)));
  const resources = item.resources.map((history) =>
    element(
      "lrm_resource",
      { id: history.id, class: history.class, provider: history.provider, type: history.type, ...history.extra },
      history.operations.map((record) => element("lrm_rsc_op", record.attributes)),
    ),
  );
  children.push(element("lrm", { id: item.id }, [element("lrm_resources", {}, resources)]));
  return element("node_state", item.attributes, children);
}

export function cibToXmlElement(cib: Cib): XmlElement {
  const configuration = element("configuration", {}, [
    element("crm_config", {}, sets("cluster_property_set", cib.properties)),
    element("nodes", {}, cib.nodes.map(node)),
    element("resources", {}, cib.resources.map(resource)),
    element("constraints", {}, cib.constraints.map(constraint)),
  ]);
  if (cib.fencingTopology.length > 0) configuration.children.push(element("fencing-topology", {}, cib.fencingTopology.map(fencingLevel)));
  if (cib.tags !== undefined && cib.tags.length > 0) configuration.children.push(element("tags", {}, cib.tags.map((tag) => element("tag", { id: tag.id }, tag.refs.map((id) => element("obj_ref", { id }))))));
  if (cib.rscDefaults.length > 0) configuration.children.push(element("rsc_defaults", {}, sets("meta_attributes", cib.rscDefaults)));
  if (cib.opDefaults.length > 0) configuration.children.push(element("op_defaults", {}, sets("meta_attributes", cib.opDefaults)));
  if (cib.alerts && cib.alerts.length > 0) configuration.children.push(alertsToXml(cib.alerts, element, nvSet));
  const { adminEpoch, epoch, numUpdates } = cib.version;
  const root = element(
    "cib",
    { admin_epoch: String(adminEpoch), epoch: String(epoch), num_updates: String(numUpdates), ...cib.attributes },
    [configuration, element("status", {}, cib.status.map(nodeStatus))],
  );
  giveMadeUpIdsUniqueNames(root);
  return root;
}

/** Renders the CIB as Pacemaker XML text. */
export function exportCibXml(cib: Cib): string {
  return renderXml(cibToXmlElement(cib));
}
