// Constraints that can never be satisfied, found before they reach the cluster:
// a location on a node the CIB does not know, a resource banned from every node,
// a mandatory colocation with a resource that can run nowhere (or nowhere the
// other one may run), followed through chains of mandatory colocations. Each problem is one sentence with its reason. Only node
// locations are read; rules, roles and utilization are beyond this check. Pure.
import { clusterOptions, parseScore, type Cib, type ColocationConstraint, type LocationConstraint } from "../cib";
import { didYouMean } from "../common/suggest";
import { nodeNames, resourcePlaces } from "./lookup";

const SCORE_INFINITY = 1_000_000;

/** Pacemaker's score addition: -INFINITY wins over everything, then INFINITY. */
function addScores(left: number, right: number): number {
  if (left <= -SCORE_INFINITY || right <= -SCORE_INFINITY) return -SCORE_INFINITY;
  if (left >= SCORE_INFINITY || right >= SCORE_INFINITY) return SCORE_INFINITY;
  return Math.max(-SCORE_INFINITY, Math.min(SCORE_INFINITY, left + right));
}

interface Placement {
  allowed: string[];
  /** Why each node is excluded, e.g. "node2 (cli-ban-vip-on-node2)". */
  excluded: string[];
}

/** Location constraints that apply to every role (no role, or Started). */
function plainLocations(cib: Cib): LocationConstraint[] {
  return cib.constraints.filter((constraint): constraint is LocationConstraint =>
    constraint.kind === "location" && constraint.node !== undefined && (constraint.role === undefined || constraint.role === "Started"));
}

/** The nodes each resource may run on, from node locations on it and on the resources that hold it. */
function placements(cib: Cib): Map<string, Placement> {
  const nodes = nodeNames(cib);
  const symmetric = clusterOptions(cib).options.symmetricCluster;
  const byResource = new Map<string, LocationConstraint[]>();
  for (const location of plainLocations(cib)) byResource.set(location.rsc, [...(byResource.get(location.rsc) ?? []), location]);
  const result = new Map<string, Placement>();
  for (const place of resourcePlaces(cib)) {
    const owners = new Set([place.resource.id, place.parent?.id, place.top.id].filter((id): id is string => id !== undefined));
    const applying = [...owners].flatMap((owner) => byResource.get(owner) ?? []);
    const allowed: string[] = [];
    const excluded: string[] = [];
    for (const node of nodes) {
      const here = applying.filter((location) => location.node === node);
      const score = here.reduce((sum, location) => addScores(sum, parseScore(location.score)), 0);
      const permitted = symmetric ? score > -SCORE_INFINITY : here.length > 0 && score >= 0;
      if (permitted) allowed.push(node);
      else if (score <= -SCORE_INFINITY) excluded.push(`${node} (${here.filter((location) => parseScore(location.score) <= -SCORE_INFINITY).map((location) => location.id).join(", ")})`);
      else excluded.push(`${node} (symmetric-cluster is false and no location constraint allows it)`);
    }
    result.set(place.resource.id, { allowed, excluded });
  }
  return result;
}

const isMandatoryColocation = (constraint: Cib["constraints"][number]): constraint is ColocationConstraint =>
  constraint.kind === "colocation" && constraint.rsc !== constraint.withRsc && parseScore(constraint.score) >= SCORE_INFINITY;

/**
 * The nodes each resource may run on once mandatory colocations are followed:
 * a dependent keeps only the nodes its primary may use, through chains (A with
 * B with C). Bounded: one pass per colocation reaches the fixpoint.
 */
function followColocations(cib: Cib, placed: Map<string, Placement>): Map<string, string[]> {
  const effective = new Map([...placed].map(([id, placement]) => [id, placement.allowed]));
  const colocations = cib.constraints.filter(isMandatoryColocation);
  for (let pass = 0; pass <= colocations.length; pass++) {
    let changed = false;
    for (const constraint of colocations) {
      const dependent = effective.get(constraint.rsc);
      const primary = effective.get(constraint.withRsc);
      if (!dependent || !primary) continue;
      const narrowed = dependent.filter((node) => primary.includes(node));
      if (narrowed.length !== dependent.length) {
        effective.set(constraint.rsc, narrowed);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return effective;
}

function colocationProblems(constraint: ColocationConstraint, placed: Map<string, Placement>, effective: Map<string, string[]>): string[] {
  if (constraint.rsc === constraint.withRsc) return [`colocation '${constraint.id}' places '${constraint.rsc}' with itself`];
  if (!isMandatoryColocation(constraint)) return [];
  const dependent = placed.get(constraint.rsc);
  const primary = placed.get(constraint.withRsc);
  const primaryNodes = effective.get(constraint.withRsc);
  if (!dependent || !primary || !primaryNodes || dependent.allowed.length === 0) return [];
  const what = `colocation '${constraint.id}': '${constraint.rsc}' must run with '${constraint.withRsc}'`;
  if (primary.allowed.length === 0) return [`${what}, but '${constraint.withRsc}' can run on no node (banned from ${primary.excluded.join(", ")}), so '${constraint.rsc}' can never run`];
  if (primaryNodes.length === 0) return [`${what}, but '${constraint.withRsc}' can never run itself (its own mandatory colocations leave it no node), so '${constraint.rsc}' can never run`];
  const common = dependent.allowed.filter((node) => primaryNodes.includes(node));
  if (common.length === 0) {
    return [`${what}, but no node allows both ('${constraint.rsc}' may run on ${dependent.allowed.join(", ")}; '${constraint.withRsc}' on ${primaryNodes.join(", ")}), so '${constraint.rsc}' can never run`];
  }
  return [];
}

/** Every problem of the CIB's constraints, one sentence each. */
export function constraintProblems(cib: Cib): string[] {
  const problems: string[] = [];
  const nodes = nodeNames(cib);
  for (const location of plainLocations(cib)) {
    if (nodes.includes(location.node!)) continue;
    const known = nodes.length === 0 ? " (the CIB lists no nodes yet)" : didYouMean(location.node!, nodes);
    problems.push(`location '${location.id}' names node '${location.node}', which is not in the CIB${known}: it has no effect until a node of that name joins`);
  }
  const placed = placements(cib);
  if (nodes.length > 0) {
    for (const place of resourcePlaces(cib)) {
      const own = placed.get(place.resource.id)!;
      const parent = place.parent ? placed.get(place.parent.id) : undefined;
      if (own.allowed.length === 0 && (!parent || parent.allowed.length > 0)) {
        problems.push(`resource '${place.resource.id}' can run on no node: excluded from ${own.excluded.join(", ")}`);
      }
    }
  }
  const effective = followColocations(cib, placed);
  for (const constraint of cib.constraints) {
    if (constraint.kind === "colocation") problems.push(...colocationProblems(constraint, placed, effective));
    if (constraint.kind === "order" && constraint.first === constraint.then) problems.push(`order '${constraint.id}' orders '${constraint.first}' after itself`);
  }
  return problems;
}

/** The problems `after` has that `before` did not: what an edit introduced. */
export function newConstraintProblems(before: Cib, after: Cib): string[] {
  const old = new Set(constraintProblems(before));
  return constraintProblems(after).filter((problem) => !old.has(problem));
}
