// Part of pass 1 (unpack): the constraints as the scheduler reads them. Tags (and templates,
// which constraints may name like tags) become the resources they stand for, and resource
// sets in order and colocation constraints become the simple constraints Pacemaker derives
// from them (pcmk_sched_ordering.c and pcmk_sched_colocation.c):
// - colocation: inside a sequential set each resource is colocated with the one before it
//   (ordering="listed": the one before with it; a negative score: anti-colocated with every
//   one before it); between consecutive sets, the first set's first resource with the second
//   set's last (a non-sequential set: every one of its resources);
// - order: inside a set each resource's action after the one before it (Serialize: after every
//   one before it), and the inverse in reverse when symmetrical; between consecutive sets, the
//   first set's last resource before the second set's first (every resource of a set whose
//   sequential is not "true"), and the inverse when symmetrical; require-all="false" on the
//   first set makes the second wait for any one of the first set's resources.
// Every derived order is asymmetrical: its inverse, where there is one, is derived too.
import { parseScore, type Cib, type LocationConstraint, type Rule, type ColocationConstraint, type ColocationSetConstraint, type Constraint, type OrderConstraint, type OrderSetConstraint, type ResourceSet } from "../cib";
import { isFalse, truthy } from "./types";

type SimpleConstraint = Extract<Constraint, { kind: "location" | "colocation" | "order" }>;

const INVERSE: Record<string, string> = { start: "stop", stop: "start", promote: "demote", demote: "promote" };

/** Names that stand for several resources: tags, and templates (the primitives made from them). */
function groupsOfNames(cib: Cib): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const tag of cib.tags ?? []) groups.set(tag.id, [...tag.refs]);
  const visit = (primitive: { id: string; template?: string }) => {
    if (primitive.template === undefined) return;
    const list = groups.get(primitive.template) ?? [];
    list.push(primitive.id);
    groups.set(primitive.template, list);
  };
  for (const resource of cib.resources) {
    if (resource.kind === "primitive") visit(resource);
    else if (resource.kind === "group") resource.members.forEach(visit);
    else if (resource.child.kind === "primitive") visit(resource.child);
    else resource.child.members.forEach(visit);
  }
  return groups;
}

/**
 * rsc-pattern (unpack_rsc_location): the location holds for every top-level resource whose id
 * the regular expression matches ("!" first: every one it does not match). With a match, %0
 * to %9 in the rules' scores and expression attribute names become the matched text and its
 * groups.
 */
function patternLocations(cib: Cib, constraint: LocationConstraint): LocationConstraint[] {
  const pattern = constraint.rscPattern!;
  const invert = pattern.startsWith("!");
  const regex = new RegExp(invert ? pattern.slice(1) : pattern);
  const { rscPattern: _pattern, ...plain } = constraint;
  return cib.resources.flatMap((resource): LocationConstraint[] => {
    const match = regex.exec(resource.id);
    if (invert === (match !== null)) return [];
    const expand = (text: string) => (match === null ? text : text.replace(/%(\d)/g, (whole, digit: string) => match[Number(digit)] ?? ""));
    const rule = (item: Rule): Rule => ({ ...item, ...(item.score !== undefined ? { score: expand(item.score) } : {}), expressions: item.expressions.map((expression) => ({ ...expression, attribute: expand(expression.attribute) })), rules: item.rules.map(rule) });
    return [{ ...plain, id: `${constraint.id}-${resource.id}`, rsc: resource.id, rules: constraint.rules.map(rule) }];
  });
}

export function expandConstraints(cib: Cib): SimpleConstraint[] {
  const groups = groupsOfNames(cib);
  if (groups.size === 0 && !cib.constraints.some((constraint) => constraint.kind === "colocation-sets" || constraint.kind === "order-sets" || (constraint.kind === "location" && constraint.rscPattern !== undefined))) return cib.constraints as SimpleConstraint[];
  const expandSet = (set: ResourceSet): ResourceSet => ({ ...set, resources: set.resources.flatMap((id) => groups.get(id) ?? [id]) });
  // A side naming a tag or template is a non-sequential set of its resources; the other side a set of one.
  const sideSet = (id: string, action: string | undefined, role: string | undefined): ResourceSet => {
    const members = groups.get(id);
    const set: ResourceSet = { id, resources: members ?? [id], extra: {}, ...(members ? { sequential: "false" } : {}) };
    if (action !== undefined) set.action = action;
    if (role !== undefined) set.role = role;
    return set;
  };
  const result: SimpleConstraint[] = [];
  for (const constraint of cib.constraints) {
    switch (constraint.kind) {
      case "location":
        if (constraint.rscPattern !== undefined) { result.push(...patternLocations(cib, constraint)); break; }
        for (const rsc of groups.get(constraint.rsc) ?? [constraint.rsc]) result.push(rsc === constraint.rsc ? constraint : { ...constraint, id: `${constraint.id}-${rsc}`, rsc });
        break;
      case "colocation":
        if (!groups.has(constraint.rsc) && !groups.has(constraint.withRsc)) { result.push(constraint); break; }
        // Two templates or tags cannot be colocated: Pacemaker ignores such a constraint (a configuration error).
        if (groups.has(constraint.rsc) && groups.has(constraint.withRsc)) break;
        result.push(...colocationSets({ kind: "colocation-sets", id: constraint.id, score: constraint.score, extra: constraint.extra,
          sets: [sideSet(constraint.rsc, undefined, constraint.rscRole), sideSet(constraint.withRsc, undefined, constraint.withRscRole)] }));
        break;
      case "order": {
        if (!groups.has(constraint.first) && !groups.has(constraint.then)) { result.push(constraint); break; }
        const { kind: _kind, id, first, then, firstAction, thenAction, ...rest } = constraint;
        result.push(...orderSets({ ...rest, kind: "order-sets", id, sets: [sideSet(first, firstAction, undefined), sideSet(then, thenAction ?? firstAction, undefined)] }));
        break;
      }
      case "colocation-sets":
        result.push(...colocationSets({ ...constraint, sets: constraint.sets.map(expandSet) }));
        break;
      case "order-sets":
        result.push(...orderSets({ ...constraint, sets: constraint.sets.map(expandSet) }));
        break;
    }
  }
  return result;
}

function colocationSets(constraint: ColocationSetConstraint): ColocationConstraint[] {
  const result: ColocationConstraint[] = [];
  const score = parseScore(constraint.score);
  const add = (dependent: string, primary: string, value: string, dependentRole: string | undefined, primaryRole: string | undefined) => {
    // The constraint's influence holds for every pair it makes (Pacemaker's unpack_colocation_set).
    const extra: Record<string, string> = constraint.extra?.influence === undefined ? {} : { influence: constraint.extra.influence };
    const colocation: ColocationConstraint = { kind: "colocation", id: `${constraint.id}#${result.length}`, rsc: dependent, withRsc: primary, score: value, extra };
    if (dependentRole !== undefined) colocation.rscRole = dependentRole;
    if (primaryRole !== undefined) colocation.withRscRole = primaryRole;
    result.push(colocation);
  };
  constraint.sets.forEach((set, index) => {
    const local = set.score ?? constraint.score;
    const localScore = parseScore(local);
    if (localScore !== 0 && !isFalse(set.sequential)) {
      const members = set.resources;
      if (localScore > 0 && (set.extra.ordering ?? "group").toLowerCase() === "group") for (let position = 1; position < members.length; position++) add(members[position]!, members[position - 1]!, local, set.role, set.role);
      else if (localScore > 0) for (let position = 1; position < members.length; position++) add(members[position - 1]!, members[position]!, local, set.role, set.role);
      else for (let position = 1; position < members.length; position++) for (const earlier of members.slice(0, position)) add(members[position]!, earlier, local, set.role, set.role);
    }
    const previous = constraint.sets[index - 1];
    if (previous === undefined || score === 0) return;
    // Between sets: the first set's first resource (if sequential) with the second's last (if sequential).
    const first = isFalse(previous.sequential) ? undefined : previous.resources[0];
    const last = isFalse(set.sequential) ? undefined : set.resources[set.resources.length - 1];
    for (const dependent of first !== undefined ? [first] : previous.resources) {
      for (const primary of last !== undefined ? [last] : set.resources) add(dependent, primary, constraint.score, previous.role, set.role);
    }
  });
  return result;
}

type OrderKind = "Mandatory" | "Optional" | "Serialize";

function kindOf(kind: string | undefined, score: string | undefined): OrderKind {
  if (kind !== undefined) return kind.toLowerCase() === "optional" ? "Optional" : kind.toLowerCase() === "serialize" ? "Serialize" : "Mandatory";
  return score !== undefined && parseScore(score) === 0 ? "Optional" : "Mandatory";
}

/** Symmetry of a set or constraint: its own symmetrical, else its parent's, else true except for Serialize. */
function symmetricOf(own: string | undefined, parent: string | undefined, kind: OrderKind): boolean {
  const value = own ?? parent;
  if (value !== undefined) return truthy(value) && kind !== "Serialize";
  return kind !== "Serialize";
}

/**
 * Marks (in `extra`) an order derived as the inverse of a symmetrical set order. Pacemaker
 * gives such an order pe_order_implies_first (then's action being required makes first's
 * required), not the implies_then of the order as written: first stopping does not make then
 * stop (and so restart).
 */
export const INVERSE_ORDER = "#inverse";

/** Marks an order derived from a symmetrical set order (its inverse is derived apart, as INVERSE_ORDER). */
export const SYMMETRIC_SET_ORDER = "#symmetric";

function orderSets(constraint: OrderSetConstraint): OrderConstraint[] {
  const result: OrderConstraint[] = [];
  const kind = kindOf(constraint.orderKind, constraint.score);
  const symmetric = symmetricOf(constraint.symmetrical, undefined, kind);
  const add = (first: string, firstAction: string, then: string, thenAction: string, orderKind: OrderKind, extra: Record<string, string> = {}) => {
    result.push({ kind: "order", id: `${constraint.id}#${result.length}`, first, then, firstAction, thenAction, orderKind, symmetrical: "false", extra });
  };
  constraint.sets.forEach((set, index) => {
    const action = (set.action ?? "start").toLowerCase();
    const local = set.extra.kind !== undefined ? kindOf(set.extra.kind, undefined) : kind;
    const sequential = set.sequential === undefined || truthy(set.sequential);
    const members = set.resources;
    const setSymmetric = symmetricOf(set.extra.symmetrical, constraint.symmetrical, local);
    if (members.length > 1) {
      for (let position = 1; position < members.length; position++) {
        if (local === "Serialize") for (const earlier of members.slice(0, position)) add(earlier, action, members[position]!, action, local);
        else if (sequential) add(members[position - 1]!, action, members[position]!, action, local, setSymmetric ? { [SYMMETRIC_SET_ORDER]: "true" } : {});
      }
      if (setSymmetric && sequential && local !== "Serialize" && INVERSE[action] !== undefined) {
        for (let position = 1; position < members.length; position++) add(members[position]!, INVERSE[action]!, members[position - 1]!, INVERSE[action]!, local, { [INVERSE_ORDER]: "true" });
      }
    }
    const previous = constraint.sets[index - 1];
    if (previous === undefined) return;
    betweenSets(constraint.id, previous, set, kind, false, add, symmetric && kind !== "Serialize");
    if (symmetric) betweenSets(constraint.id, set, previous, kind, true, add);
  });
  return result;
}

function betweenSets(id: string, first: ResourceSet, then: ResourceSet, kind: OrderKind, inverse: boolean,
  add: (first: string, firstAction: string, then: string, thenAction: string, orderKind: OrderKind, extra?: Record<string, string>) => void, symmetricForward = false): void {
  let firstAction = (first.action ?? "start").toLowerCase();
  let thenAction = (then.action ?? "start").toLowerCase();
  if (inverse) { firstAction = INVERSE[firstAction] ?? firstAction; thenAction = INVERSE[thenAction] ?? thenAction; }
  const marker: Record<string, string> = inverse ? { [INVERSE_ORDER]: "true" } : symmetricForward ? { [SYMMETRIC_SET_ORDER]: "true" } : {};
  // require-all="false" on the first set (never for stops and demotes): then waits for any one of first's resources.
  const requireAll = !isFalse(first.requireAll) || firstAction === "stop" || firstAction === "demote";
  if (!requireAll) {
    for (const rsc of first.resources) for (const other of then.resources) add(rsc, firstAction, other, thenAction, kind, { "one-or-more": `${id}:${first.id}`, ...marker });
    return;
  }
  // Only a set explicitly sequential="true" is linked through one end.
  const from = truthy(first.sequential) ? [inverse ? first.resources[0]! : first.resources[first.resources.length - 1]!] : first.resources;
  const to = truthy(then.sequential) ? [inverse ? then.resources[then.resources.length - 1]! : then.resources[0]!] : then.resources;
  for (const rsc of from) for (const other of to) add(rsc, firstAction, other, thenAction, kind, marker);
}
