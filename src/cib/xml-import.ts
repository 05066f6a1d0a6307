// Pacemaker CIB XML (the output of `cibadmin -Q` or `pcs cluster cib`) to the
// typed model. Elements outside edgeha's scope produce a warning that names the
// element and its id; nothing is dropped silently.
import { EdgehaError } from "../common/errors";
import { refuseOutOfScope } from "./scope";
import { parseDurationMs } from "./duration";
import { parseIsoDate } from "./dates";
import type { ResourceExpression, DateExpression, OperationExpression,
  Attributes, Cib, CibNode, Clone, Constraint, Expression, FencingLevel, Group, NodeStatus, NvSet, Operation,
  OperationRecord, Primitive, Resource, ResourceHistory, ResourceSet, Rule,
} from "./model";
import { emptyCib } from "./model";
import { CIB_LIMITS } from "./limits";
import { cibLimitProblem } from "./native";
import { child, children, parseXml, type XmlElement } from "./xml-tree";
import { importAlerts } from "./alerts";

/** Warnings listed one by one; more are counted in one last line. */
const WARNINGS_MAX = 100;

export interface ImportResult {
  cib: Cib;
  warnings: string[];
}

/** The nvpairs of a set; Pacemaker 0.6 wrapped them in an <attributes> element. */
function pairsOf(set: XmlElement): XmlElement[] {
  return [...children(set, "nvpair"), ...children(set, "attributes").flatMap((wrapper) => children(wrapper, "nvpair"))];
}

class Importer {
  readonly warnings: string[] = [];
  /** <template> elements by id, for primitives written with template="...". */
  readonly templates = new Map<string, XmlElement>();
  /** Warnings past WARNINGS_MAX, counted only: a file of 100,000 unknown elements says so in one line. */
  warningsLeftOut = 0;

  warn(message: string): void {
    if (this.warnings.length < WARNINGS_MAX) this.warnings.push(message);
    else this.warningsLeftOut++;
  }
  private readonly setsById = new Map<string, XmlElement>();
  private readonly pairsById = new Map<string, XmlElement>();
  private readonly rulesById = new Map<string, XmlElement>();
  private readonly rulesResolving = new Set<string>();

  constructor(private readonly fileName: string) {}

  /** FILE:LINE of an element, for errors and warnings. */
  at(element: XmlElement): string {
    return `${this.fileName}:${element.line}`;
  }

  warnOutOfScope(element: XmlElement, where: string): void {
    const id = element.attributes.id ? ` id="${element.attributes.id}"` : "";
    this.warn(`${this.at(element)}: <${element.name}${id}> in ${where} is outside edgeha's scope and was not imported`);
  }

  required(element: XmlElement, attribute: string): string {
    const value = element.attributes[attribute];
    if (value === undefined) {
      const id = element.attributes.id ? ` id="${element.attributes.id}"` : "";
      throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <${element.name}${id}> lacks the attribute '${attribute}'`);
    }
    return value;
  }

  indexSets(element: XmlElement): void {
    const id = element.attributes.id;
    if (id !== undefined && id.length > CIB_LIMITS.idLengthMax) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <${element.name}> has an id of ${id.length} characters; edgeha takes at most ${CIB_LIMITS.idLengthMax}`);
    if (id && element.name === "rule") this.rulesById.set(id, element);
    if (id && element.name === "nvpair") this.pairsById.set(id, element);
    else if (id && pairsOf(element).length > 0) this.setsById.set(id, element);
    element.children.forEach((item) => this.indexSets(item));
  }

  nvSet(element: XmlElement): NvSet {
    const idRef = element.attributes["id-ref"];
    const source = idRef ? this.setsById.get(idRef) : element;
    if (idRef && !source) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <${element.name} id-ref="${idRef}"> refers to no attribute set`);
    const values: Attributes = {};
    const pairRefs: Attributes = {};
    const pairIds: Attributes = {};
    for (const pair of pairsOf(source!)) {
      // Like Pacemaker: an nvpair written as id-ref takes the name and value it
      // lacks from the nvpair it refers to; within one set the first name wins.
      const pairRef = pair.attributes["id-ref"];
      const complete = pair.attributes.name !== undefined && pair.attributes.value !== undefined;
      const target = pairRef === undefined || complete ? undefined : this.pairsById.get(pairRef);
      if (pairRef !== undefined && !complete && !target) throw new EdgehaError("E_CIB_XML", `${this.at(pair)}: <nvpair id-ref="${pairRef}"> refers to no nvpair`);
      const name = pair.attributes.name ?? target?.attributes.name;
      const value = pair.attributes.value ?? target?.attributes.value;
      if (name === undefined || value === undefined) {
        // Pacemaker ignores an nvpair without a name or value; so do we, aloud.
        const label = pair.attributes.id ? ` id="${pair.attributes.id}"` : "";
        this.warn(`${this.at(pair)}: <nvpair${label}${name === undefined ? "" : ` name="${name}"`}> in ${element.name} ${element.attributes.id ?? idRef} has no ${name === undefined ? "name" : "value"} and was ignored, as Pacemaker ignores it`);
        continue;
      }
      if (name in values) continue;
      values[name] = value;
      if (pair.attributes.id !== undefined) pairIds[name] = pair.attributes.id;
      if (pairRef !== undefined) pairRefs[name] = pairRef;
    }
    const set: NvSet = { id: element.attributes.id ?? idRef!, values };
    if (idRef) set.idRef = idRef;
    if (Object.keys(pairRefs).length > 0 && !idRef) set.pairRefs = pairRefs;
    if (Object.keys(pairIds).length > 0 && !idRef) set.pairIds = pairIds;
    if (element.attributes.score !== undefined) set.score = element.attributes.score;
    const rule = child(element, "rule");
    if (rule) set.rule = this.rule(rule);
    for (const item of element.children) if (!["nvpair", "rule", "attributes"].includes(item.name)) this.warnOutOfScope(item, `${element.name} ${set.id}`);
    return set;
  }

  sets(element: XmlElement, name: string): NvSet[] {
    return children(element, name).map((set) => this.nvSet(set));
  }

  rule(element: XmlElement): Rule {
    const idRef = element.attributes["id-ref"];
    if (idRef !== undefined) {
      const target = this.rulesById.get(idRef);
      if (!target || target.attributes["id-ref"] !== undefined) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <rule id-ref="${idRef}"> refers to no rule`);
      if (this.rulesResolving.has(idRef)) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <rule id-ref="${idRef}"> refers to a rule that contains it`);
      this.rulesResolving.add(idRef);
      try {
        return { ...this.rule(target), idRef };
      } finally {
        this.rulesResolving.delete(idRef);
      }
    }
    const rule: Rule = {
      id: element.attributes.id ?? "",
      booleanOp: element.attributes["boolean-op"] === "or" ? "or" : "and",
      expressions: [],
      rules: [],
    };
    if (element.attributes.score !== undefined) rule.score = element.attributes.score;
    if (element.attributes["score-attribute"] !== undefined) rule.scoreAttribute = element.attributes["score-attribute"];
    if (element.attributes.role !== undefined) rule.role = element.attributes.role;
    for (const item of element.children) {
      if (item.name === "expression") rule.expressions.push(this.expression(item));
      else if (item.name === "rule") rule.rules.push(this.rule(item));
      else if (item.name === "rsc_expression") {
        const { id, class: resourceClass, provider, type } = item.attributes;
        const expression: ResourceExpression = { id: id ?? "" };
        if (resourceClass !== undefined) expression.class = resourceClass;
        if (provider !== undefined) expression.provider = provider;
        if (type !== undefined) expression.type = type;
        (rule.resourceExpressions ??= []).push(expression);
      } else if (item.name === "date_expression") (rule.dateExpressions ??= []).push(this.dateExpression(item));
      else if (item.name === "op_expression") {
        const expression: OperationExpression = { id: item.attributes.id ?? "", name: this.required(item, "name") };
        if (item.attributes.interval !== undefined) {
          parseDurationMs(item.attributes.interval, `${this.at(item)}: <op_expression id="${expression.id}"> interval`);
          expression.interval = item.attributes.interval;
        }
        (rule.operationExpressions ??= []).push(expression);
      } else this.warnOutOfScope(item, `rule ${rule.id}`);
    }
    return rule;
  }

  /** A date_expression; a start or end that is not an ISO 8601 date is refused here rather than never holding. */
  dateExpression(element: XmlElement): DateExpression {
    const id = element.attributes.id ?? "";
    const expression: DateExpression = { id };
    for (const key of ["operation", "start", "end"] as const) if (element.attributes[key] !== undefined) expression[key] = element.attributes[key];
    if (expression.operation !== undefined) expression.operation = expression.operation.toLowerCase();
    const operation = (expression.operation ?? "in_range").toLowerCase();
    if (!["in_range", "gt", "lt", "date_spec"].includes(operation)) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <date_expression id="${id}"> has operation "${expression.operation}"; it must be in_range, gt, lt or date_spec`);
    for (const key of ["start", "end"] as const) {
      const value = expression[key];
      if (value !== undefined && parseIsoDate(value, { now: 0 }) === undefined) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <date_expression id="${id}"> ${key}="${value}" is not an ISO 8601 date (for example 2027-01-31, 2027-031, 2027-W05-7, 2027-01-31 08:00:00 or 2027-01-31T08:00:00Z)`);
    }
    const duration = child(element, "duration");
    if (duration) expression.duration = { ...duration.attributes };
    const spec = child(element, "date_spec");
    if (spec) expression.dateSpec = { ...spec.attributes };
    for (const item of element.children) if (!["duration", "date_spec"].includes(item.name)) this.warnOutOfScope(item, `date_expression ${id}`);
    return expression;
  }

  expression(element: XmlElement): Expression {
    const expression: Expression = {
      id: element.attributes.id ?? "",
      attribute: this.required(element, "attribute"),
      operation: this.required(element, "operation"),
    };
    const optional: Array<[keyof Expression, string]> = [["value", "value"], ["type", "type"], ["valueSource", "value-source"]];
    for (const [key, attribute] of optional) if (element.attributes[attribute] !== undefined) (expression as unknown as Attributes)[key] = element.attributes[attribute]!;
    return expression;
  }

  operation(element: XmlElement): Operation {
    const { id, name, interval, timeout, role, enabled, ...rest } = element.attributes;
    const onFail = rest["on-fail"];
    delete rest["on-fail"];
    const intervalText = interval ?? "0";
    const operation: Operation = {
      id: id ?? "",
      name: name ?? this.required(element, "name"),
      interval: intervalText,
      intervalMs: parseDurationMs(intervalText, `${this.at(element)}: op ${id} interval`),
      extra: rest,
      meta: this.sets(element, "meta_attributes"),
      instance: this.sets(element, "instance_attributes"),
    };
    if (timeout !== undefined) operation.timeout = timeout;
    if (role !== undefined) operation.role = role;
    if (onFail !== undefined) operation.onFail = onFail;
    if (enabled !== undefined) operation.enabled = enabled;
    return operation;
  }

  /**
   * A primitive written with template="T" is the template's definition with the primitive's own
   * attribute sets and operations added: its sets come first (its values win), and the
   * template's operations it does not define itself (same name, interval and role) are kept.
   */
  fromTemplate(element: XmlElement): XmlElement {
    const name = element.attributes.template!;
    const template = this.templates.get(name);
    if (!template) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <primitive id="${element.attributes.id ?? ""}" template="${name}"> refers to no <template id="${name}">`);
    const operationKey = (op: XmlElement) => `${op.attributes.name}|${op.attributes.interval ?? "0"}|${op.attributes.role ?? ""}`;
    const ownOperations = child(element, "operations");
    const own = new Set(ownOperations ? children(ownOperations, "op").map(operationKey) : []);
    const templateOperations = children(child(template, "operations") ?? template, "op").filter((op) => !own.has(operationKey(op)));
    const operations: XmlElement = { name: "operations", attributes: {}, children: [...(ownOperations?.children ?? []), ...templateOperations], line: (ownOperations ?? element).line, column: (ownOperations ?? element).column };
    const { id: _templateId, ...templateAttributes } = template.attributes;
    return {
      name: "primitive",
      attributes: { ...templateAttributes, ...element.attributes },
      children: [...element.children.filter((item) => item.name !== "operations"), ...template.children.filter((item) => item.name !== "operations"), operations],
      // Errors about the merged primitive name the line where the primitive is written.
      line: element.line,
      column: element.column,
    };
  }

  primitive(written: XmlElement): Primitive {
    const element = written.attributes.template !== undefined ? this.fromTemplate(written) : written;
    const { id, class: resourceClass, provider, type, template, ...extra } = element.attributes;
    const primitive: Primitive = {
      kind: "primitive",
      id: id ?? this.required(element, "id"),
      class: resourceClass ?? this.required(element, "class"),
      type: type ?? this.required(element, "type"),
      extra,
      instance: this.sets(element, "instance_attributes"),
      meta: this.sets(element, "meta_attributes"),
      operations: children(child(element, "operations") ?? element, "op").map((op) => this.operation(op)),
    };
    if (provider !== undefined) primitive.provider = provider;
    if (template !== undefined) primitive.template = template;
    const utilization = this.sets(element, "utilization");
    if (utilization.length > 0) primitive.utilization = utilization;
    this.skipOthers(element, ["instance_attributes", "meta_attributes", "operations", "utilization"], `primitive ${primitive.id}`);
    return primitive;
  }

  skipOthers(element: XmlElement, known: string[], where: string): void {
    for (const item of element.children) if (!known.includes(item.name)) this.warnOutOfScope(item, where);
  }

  resource(element: XmlElement): Resource | undefined {
    switch (element.name) {
      case "primitive":
        return this.primitive(element);
      case "group": {
        const { id, ...extra } = element.attributes;
        const group: Group = {
          kind: "group", id: id ?? this.required(element, "id"), extra,
          instance: this.sets(element, "instance_attributes"), meta: this.sets(element, "meta_attributes"),
          members: children(element, "primitive").map((item) => this.primitive(item)),
        };
        this.skipOthers(element, ["instance_attributes", "meta_attributes", "primitive"], `group ${group.id}`);
        return group;
      }
      case "clone":
      case "master": {
        const { id, ...extra } = element.attributes;
        const inner = element.children.find((item) => item.name === "primitive" || item.name === "group");
        if (!inner) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <${element.name} id="${id}"> has no primitive or group inside`);
        const clone: Clone = {
          kind: "clone", id: id ?? this.required(element, "id"), legacyMaster: element.name === "master", extra,
          instance: this.sets(element, "instance_attributes"), meta: this.sets(element, "meta_attributes"),
          child: this.resource(inner) as Primitive | Group,
        };
        this.skipOthers(element, ["instance_attributes", "meta_attributes", "primitive", "group"], `clone ${clone.id}`);
        return clone;
      }
      case "template":
        // A definition primitives are made from (see fromTemplate); nothing runs as the template itself.
        return undefined;
      default:
        this.warnOutOfScope(element, "resources");
        return undefined;
    }
  }

  resourceSet(element: XmlElement): ResourceSet {
    const { id, sequential, "require-all": requireAll, action, role, score, ...extra } = element.attributes;
    const set: ResourceSet = { id: id ?? "", resources: children(element, "resource_ref").map((item) => this.required(item, "id")), extra };
    const optional: Array<[keyof ResourceSet, string | undefined]> = [["sequential", sequential], ["requireAll", requireAll], ["action", action], ["role", role], ["score", score]];
    for (const [key, value] of optional) if (value !== undefined) (set as unknown as Attributes)[key] = value;
    this.skipOthers(element, ["resource_ref"], `resource_set ${set.id}`);
    return set;
  }

  setConstraint(element: XmlElement, attributes: Attributes, id: string): Constraint | undefined {
    const sets: ResourceSet[] = [];
    for (const item of children(element, "resource_set")) {
      if (item.attributes["id-ref"] === undefined) sets.push(this.resourceSet(item));
      else this.warnOutOfScope(item, `constraint ${id} (a resource_set written as id-ref)`);
    }
    const take = (name: string): string | undefined => {
      const value = attributes[name];
      delete attributes[name];
      return value;
    };
    switch (element.name) {
      case "rsc_colocation":
        return { kind: "colocation-sets", id, score: take("score") ?? "0", sets, extra: attributes };
      case "rsc_order": {
        const order: Constraint = { kind: "order-sets", id, sets, extra: attributes };
        const orderKind = take("kind");
        const score = take("score");
        const symmetrical = take("symmetrical");
        if (orderKind !== undefined) order.orderKind = orderKind;
        if (score !== undefined) order.score = score;
        if (symmetrical !== undefined) order.symmetrical = symmetrical;
        return order;
      }
      default:
        this.warnOutOfScope(element, "constraints (resource sets)");
        return undefined;
    }
  }

  /**
   * rsc_location with resource sets is the same location for every resource of every set (the
   * set's role and score, when given, over the constraint's): written out as one location per
   * resource, named after the constraint, the set and the resource.
   */
  locationSets(element: XmlElement, attributes: Attributes, id: string): Constraint[] {
    const { node, score, role, ...extra } = attributes;
    const rules = children(element, "rule").map((rule) => this.rule(rule));
    return children(element, "resource_set").flatMap((item) => {
      const set = this.resourceSet(item);
      return set.resources.map((rsc): Constraint => {
        const location: Constraint = { kind: "location", id: `${id}-${set.id}-${rsc}`, rsc, rules, extra: { ...extra } };
        if (node !== undefined) location.node = node;
        if ((set.score ?? score) !== undefined) location.score = set.score ?? score;
        if ((set.role ?? role) !== undefined) location.role = set.role ?? role;
        return location;
      });
    });
  }

  constraint(element: XmlElement): Constraint | Constraint[] | undefined {
    const attributes = { ...element.attributes };
    const take = (name: string): string | undefined => {
      const value = attributes[name];
      delete attributes[name];
      return value;
    };
    const id = take("id") ?? "";
    if (children(element, "resource_set").length > 0 && element.name === "rsc_location") return this.locationSets(element, attributes, id);
    if (children(element, "resource_set").length > 0) return this.setConstraint(element, attributes, id);
    switch (element.name) {
      case "rsc_location": {
        const pattern = take("rsc-pattern");
        if (pattern !== undefined) {
          try { new RegExp(pattern.replace(/^!/, "")); } catch {
            throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <rsc_location id="${id}" rsc-pattern="${pattern}">: not a regular expression`);
          }
        }
        const rsc = pattern !== undefined ? "" : take("rsc") ?? this.required(element, "rsc");
        const location: Constraint = { kind: "location", id, rsc, rules: children(element, "rule").map((rule) => this.rule(rule)), extra: attributes };
        if (pattern !== undefined) location.rscPattern = pattern;
        const node = take("node");
        const score = take("score");
        const role = take("role");
        if (node !== undefined) location.node = node;
        if (score !== undefined) location.score = score;
        if (role !== undefined) location.role = role;
        return location;
      }
      case "rsc_colocation": {
        const colocation: Constraint = {
          kind: "colocation", id,
          rsc: take("rsc") ?? this.required(element, "rsc"),
          withRsc: take("with-rsc") ?? this.required(element, "with-rsc"),
          score: take("score") ?? "0",
          extra: attributes,
        };
        const rscRole = take("rsc-role");
        const withRscRole = take("with-rsc-role");
        if (rscRole !== undefined) colocation.rscRole = rscRole;
        if (withRscRole !== undefined) colocation.withRscRole = withRscRole;
        colocation.extra = attributes;
        return colocation;
      }
      case "rsc_order": {
        const order: Constraint = {
          kind: "order", id,
          first: take("first") ?? this.required(element, "first"),
          then: take("then") ?? this.required(element, "then"),
          extra: attributes,
        };
        const optional: Array<[keyof typeof order, string]> = [
          ["firstAction", "first-action"], ["thenAction", "then-action"], ["orderKind", "kind"], ["score", "score"], ["symmetrical", "symmetrical"],
        ];
        for (const [key, name] of optional) {
          const value = take(name);
          if (value !== undefined) (order as unknown as Attributes)[key] = value;
        }
        order.extra = attributes;
        return order;
      }
      default:
        this.warnOutOfScope(element, "constraints");
        return undefined;
    }
  }

  node(element: XmlElement): CibNode {
    const { id, uname, type, ...extra } = element.attributes;
    const node: CibNode = {
      id: id ?? this.required(element, "id"),
      uname: uname ?? this.required(element, "uname"),
      extra,
      instance: this.sets(element, "instance_attributes"),
      utilization: this.sets(element, "utilization"),
    };
    if (type !== undefined) node.type = type;
    this.skipOthers(element, ["instance_attributes", "utilization"], `node ${node.id}`);
    if (type === "remote" || type === "ping") this.warnOutOfScope(element, "nodes (remote and ping nodes)");
    return node;
  }

  fencingLevel(element: XmlElement): FencingLevel {
    const { id, index, target, "target-pattern": targetPattern, "target-attribute": targetAttribute, "target-value": targetValue, devices, ...extra } = element.attributes;
    const ways = [target !== undefined, targetPattern !== undefined, targetAttribute !== undefined].filter(Boolean).length;
    if (ways !== 1 || (targetAttribute === undefined) !== (targetValue === undefined)) {
      throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <fencing-level id="${id}"> must name its target in exactly one way: target, target-pattern, or target-attribute with target-value`);
    }
    if (index !== undefined && !/^[1-9]$/.test(index)) throw new EdgehaError("E_CIB_XML", `${this.at(element)}: <fencing-level id="${id}" index="${index}">: the index must be 1 to 9`);
    const level: FencingLevel = { id: id ?? "", index: Number(index ?? "1"), devices: (devices ?? "").split(",").filter(Boolean), extra };
    if (target !== undefined) level.target = target;
    if (targetPattern !== undefined) level.targetPattern = targetPattern;
    if (targetAttribute !== undefined) level.targetAttribute = targetAttribute;
    if (targetValue !== undefined) level.targetValue = targetValue;
    return level;
  }

  operationRecord(element: XmlElement): OperationRecord {
    const attributes = { ...element.attributes };
    const number = (name: string, fallback: number): number => {
      const value = attributes[name];
      return value === undefined || value === "" ? fallback : Number(value);
    };
    const interval = attributes.interval ?? "0";
    return {
      id: attributes.id ?? "",
      operation: attributes.operation ?? this.required(element, "operation"),
      callId: number("call-id", -1),
      rcCode: number("rc-code", 0),
      opStatus: number("op-status", 0),
      intervalMs: /^\d+$/.test(interval) ? Number(interval) : parseDurationMs(interval),
      attributes,
    };
  }

  nodeStatus(element: XmlElement): NodeStatus {
    const attributes = { ...element.attributes };
    const status: NodeStatus = {
      // Old status sections name a node only by uname.
      id: attributes.id ?? attributes.uname ?? this.required(element, "id"),
      uname: attributes.uname ?? attributes.id!,
      attributes,
      transient: children(element, "transient_attributes").flatMap((item) => {
        this.skipOthers(item, ["instance_attributes"], `transient_attributes of node ${attributes.uname ?? attributes.id}`);
        return this.sets(item, "instance_attributes");
      }),
      resources: [],
    };
    this.skipOthers(element, ["transient_attributes", "lrm"], `node_state ${status.id}`);
    const lrmResources = child(child(element, "lrm") ?? element, "lrm_resources");
    for (const resource of lrmResources ? children(lrmResources, "lrm_resource") : []) {
      const { id, class: resourceClass, provider, type, ...extra } = resource.attributes;
      const history: ResourceHistory = {
        id: id ?? this.required(resource, "id"),
        class: resourceClass ?? "",
        type: type ?? "",
        extra,
        operations: children(resource, "lrm_rsc_op").map((op) => this.operationRecord(op)),
      };
      if (provider !== undefined) history.provider = provider;
      status.resources.push(history);
    }
    return status;
  }

  cib(root: XmlElement): Cib {
    if (root.name !== "cib") throw new EdgehaError("E_CIB_XML", `${this.at(root)}: the root element is <${root.name}>, not <cib>`);
    this.indexSets(root);
    const cib = emptyCib();
    const { admin_epoch: adminEpoch, epoch, num_updates: numUpdates, ...rest } = root.attributes;
    const count = (name: string, value: string | undefined): number => {
      if (value === undefined) return 0;
      if (!/^\d{1,15}$/.test(value)) throw new EdgehaError("E_CIB_XML", `${this.at(root)}: <cib ${name}="${value}">: a version number must be a non-negative integer`);
      return Number(value);
    };
    cib.version = { adminEpoch: count("admin_epoch", adminEpoch), epoch: count("epoch", epoch), numUpdates: count("num_updates", numUpdates) };
    cib.attributes = rest;
    const configuration = child(root, "configuration");
    if (!configuration) throw new EdgehaError("E_CIB_XML", `${this.at(root)}: <cib> has no <configuration>`);
    for (const item of children(child(configuration, "resources") ?? configuration, "template")) if (item.attributes.id !== undefined) this.templates.set(item.attributes.id, item);
    for (const section of configuration.children) this.section(cib, section);
    const status = child(root, "status");
    cib.status = status ? children(status, "node_state").map((item) => this.nodeStatus(item)) : [];
    if (status) this.skipOthers(status, ["node_state"], "status");
    return cib;
  }

  section(cib: Cib, section: XmlElement): void {
    switch (section.name) {
      case "crm_config":
        cib.properties = this.sets(section, "cluster_property_set");
        this.skipOthers(section, ["cluster_property_set"], "crm_config");
        return;
      case "nodes":
        cib.nodes = children(section, "node").map((item) => this.node(item));
        this.skipOthers(section, ["node"], "nodes");
        return;
      case "resources":
        cib.resources = section.children.map((item) => this.resource(item)).filter((item): item is Resource => item !== undefined);
        return;
      case "constraints":
        cib.constraints = section.children.flatMap((item) => this.constraint(item) ?? []);
        return;
      case "rsc_defaults":
        cib.rscDefaults = this.sets(section, "meta_attributes");
        this.skipOthers(section, ["meta_attributes"], "rsc_defaults");
        return;
      case "op_defaults":
        cib.opDefaults = this.sets(section, "meta_attributes");
        this.skipOthers(section, ["meta_attributes"], "op_defaults");
        return;
      case "alerts": {
        // An empty <alerts/> is the same as none (and round-trips as none).
        const alerts = importAlerts(section, this);
        if (alerts.length > 0) cib.alerts = alerts;
        return;
      }
      case "tags":
        cib.tags = children(section, "tag").map((item) => ({ id: item.attributes.id ?? this.required(item, "id"), refs: children(item, "obj_ref").map((ref) => this.required(ref, "id")) }));
        this.skipOthers(section, ["tag"], "tags");
        return;
      case "fencing-topology":
        cib.fencingTopology = children(section, "fencing-level").map((item) => this.fencingLevel(item));
        this.skipOthers(section, ["fencing-level"], "fencing-topology");
        return;
      default:
        this.warnOutOfScope(section, "configuration");
    }
  }
}

/** Imports a Pacemaker CIB from XML text. */
export function importCibXml(text: string, fileName = "<cib>"): ImportResult {
  const importer = new Importer(fileName);
  const root = parseXml(text, fileName);
  refuseOutOfScope(root, fileName);
  const cib = importer.cib(root);
  const overLimit = cibLimitProblem(cib);
  if (overLimit) throw new EdgehaError("E_CIB_TOO_LARGE", `${fileName}: ${overLimit}`);
  if (importer.warningsLeftOut > 0) importer.warnings.push(`${fileName}: ${importer.warningsLeftOut} more warnings like these were left out`);
  return { cib, warnings: importer.warnings };
}
