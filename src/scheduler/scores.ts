// Pass 3, scores and rules: the allocation score of a primitive on every node, from
// symmetric-cluster, location constraints (node or rules), stickiness, fail counts against
// migration-threshold (with failure-timeout), hard-error bans and node availability.
import { flattenSets, parseDurationMs, parseScore, type Cib, type ColocationConstraint, type LocationConstraint, type NvSet, type Primitive, type Rule } from "../cib";
import { evaluateSets, ruleMatches, type NodeAttributes, type RuleContext } from "./rules";
import { addScores, baseId, INFINITY, truthy, type NodeState, type ResourceState, type ScoreIndex } from "./types";

export function metaOf(cib: Cib, primitive: Primitive): Record<string, string> {
  return { ...flattenSets(cib.rscDefaults), ...flattenSets(primitive.meta) };
}


export function buildScoreIndex(cib: Cib): ScoreIndex {
  const locations = new Map<string, LocationConstraint[]>();
  for (const constraint of cib.constraints) if (constraint.kind === "location") {
    const list = locations.get(constraint.rsc);
    if (list) list.push(constraint); else locations.set(constraint.rsc, [constraint]);
  }
  const transient = new Map<string, Record<string, string>>();
  for (const status of cib.status) if (!transient.has(status.uname)) transient.set(status.uname, failureAttributesOfVersion(cib, flattenSets(status.transient)));
  const colocationsByPrimary = new Map<string, ColocationConstraint[]>();
  for (const constraint of cib.constraints) if (constraint.kind === "colocation") {
    const list = colocationsByPrimary.get(constraint.withRsc);
    if (list) list.push(constraint); else colocationsByPrimary.set(constraint.withRsc, [constraint]);
  }
  return { locations, transient, colocationsByPrimary, health: nodeHealth(cib), laterGroupMembers: laterGroupMembers(cib) };
}

/**
 * A location constraint on a colocated group (meta collocated, true by default) gives its score
 * to the first member only; the later members get its nodes at score 0 (allowed, in an opt-in
 * cluster, but not preferred or banned), since they follow the first member anyway
 * (Pacemaker's pcmk__group_apply_location). It matters to a resource colocated with a later member.
 */
function laterGroupMembers(cib: Cib): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const resource of cib.resources) {
    const group = resource.kind === "group" ? resource : resource.kind === "clone" && resource.child.kind === "group" ? resource.child : undefined;
    if (group === undefined || group.members.length < 2 || !truthy(flattenSets(group.meta).collocated ?? "true")) continue;
    result.set(group.id, new Set(group.members.slice(1).map((member) => member.id)));
  }
  return result;
}

/**
 * node-health-strategy: each node's health is the sum of its #health-* attributes, the words
 * red, yellow and green counting as the strategy says (migrate-on-red: red -INFINITY;
 * only-green: red and yellow -INFINITY; progressive and custom: node-health-red, -yellow and
 * -green, progressive adding node-health-base). A node whose health is not 0 gets it as a
 * location score for every resource (a negative one not for allow-unhealthy-nodes=true).
 */
function nodeHealth(cib: Cib): Map<string, number> {
  const health = new Map<string, number>();
  const properties = flattenSets(cib.properties);
  const strategy = (properties["node-health-strategy"] ?? "none").toLowerCase();
  if (strategy === "none" || !["migrate-on-red", "only-green", "progressive", "custom"].includes(strategy)) return health;
  const configured = (name: string, fallback: string) => parseScore(properties[name] ?? fallback);
  const colours: Record<string, number> = strategy === "migrate-on-red" ? { red: -INFINITY, yellow: 0, green: 0 }
    : strategy === "only-green" ? { red: -INFINITY, yellow: -INFINITY, green: 0 }
    : { red: configured("node-health-red", "-INFINITY"), yellow: configured("node-health-yellow", "0"), green: configured("node-health-green", "0") };
  const base = strategy === "progressive" ? configured("node-health-base", "0") : 0;
  for (const node of cib.nodes) {
    const status = cib.status.find((entry) => entry.uname === node.uname);
    const attributes = { ...flattenSets(node.instance), ...(status ? flattenSets(status.transient) : {}) };
    let total = base;
    for (const [name, value] of Object.entries(attributes)) if (name.startsWith("#health")) total = addScores(total, colours[value.toLowerCase()] ?? parseScore(value));
    if (total !== 0) health.set(node.uname, total);
  }
  return health;
}

/**
 * Fail counts are named per operation ("fail-count-rsc#start_0") since feature set 3.0.13 and
 * per resource before that. A CIB that states its feature set counts only the names of its
 * era, as Pacemaker does; one that states none (edgeha's own) counts both.
 */
export function failureAttributesOfVersion(cib: Cib, attributes: Record<string, string>): Record<string, string> {
  const version = cib.attributes.crm_feature_set;
  if (version === undefined) return attributes;
  const parts = version.split(".").map(Number);
  const legacy = (parts[0] ?? 0) * 1e6 + (parts[1] ?? 0) * 1e3 + (parts[2] ?? 0) < 3_000_013;
  const filtered: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (/^(fail-count|last-failure)-/.test(name) && name.includes("#") === legacy) continue;
    filtered[name] = value;
  }
  return filtered;
}

export function scoresFor(ownerIds: string[], cib: Cib, primitive: Primitive, nodes: NodeState[], state: ResourceState | undefined, symmetric: boolean, nowSeconds: number, index: ScoreIndex, inherited: Record<string, string>, cloned = false, anonymousClone = false): Record<string, number> {
  // Meta attributes of a group or clone reach its members; the member's own win.
  const meta = { ...flattenSets(cib.rscDefaults), ...inherited, ...flattenSets(primitive.meta) };
  // Clone instances are sticky by 1 unless resource-stickiness is set.
  if (cloned && meta["resource-stickiness"] === undefined && meta["default-resource-stickiness"] === undefined) meta["resource-stickiness"] = "1";
  const failureTimeoutSeconds = failureTimeoutOf(meta);
  const stickiness = parseScore(meta["resource-stickiness"] ?? meta["default-resource-stickiness"]);
  const threshold = meta["migration-threshold"] === undefined ? INFINITY : parseScore(meta["migration-threshold"]);
  const scores: Record<string, number> = {};
  for (const node of nodes) scores[node.name] = symmetric ? 0 : -INFINITY;
  const preferences: Record<string, number> = {};
  const locations = ownerIds.length === 1 ? index.locations.get(ownerIds[0]!) ?? [] : [...new Set(ownerIds)].flatMap((owner) => index.locations.get(owner) ?? []);
  for (const constraint of locations) {
    if ((constraint.role !== undefined && !/^started$/i.test(constraint.role))) continue;
    const scoreOf = index.laterGroupMembers.get(constraint.rsc)?.has(baseId(primitive.id)) ? () => 0 : (score: number) => score;
    if (constraint.node !== undefined) {
      if (constraint.node in scores) preferences[constraint.node] = addScores(preferences[constraint.node] ?? 0, scoreOf(parseScore(constraint.score)));
      continue;
    }
    for (const rule of constraint.rules) {
      // Rules for the Promoted role weigh in promotion, not placement.
      if (rule.role !== undefined && !/^(started|unpromoted|slave)$/i.test(rule.role)) continue;
      const values = usesValueSource(rule) ? resourceValuesOf(cib, constraint.rsc === primitive.id ? { ...primitive, meta: [{ id: "", values: meta }] } : constraint.rsc, nowSeconds) : undefined;
      for (const node of nodes) {
        if (!ruleMatches(rule, node.attributes, { now: nowSeconds }, values?.(node.attributes))) continue;
        const score = rule.scoreAttribute !== undefined ? parseScore(node.attributes[rule.scoreAttribute]) : parseScore(rule.score);
        preferences[node.name] = addScores(preferences[node.name] ?? 0, scoreOf(score));
      }
    }
  }
  // resource-discovery=exclusive: the resource runs only on nodes an exclusive location names (or its rule matches).
  const exclusive = locations.length === 0 ? [] : locations.filter((constraint) => (constraint.extra["resource-discovery"] ?? "").toLowerCase() === "exclusive");
  if (exclusive.length > 0) {
    const named = new Set(exclusive.flatMap((constraint) => constraint.node !== undefined ? [constraint.node] : nodes.filter((node) => constraint.rules.some((rule) => ruleMatches(rule, node.attributes, { now: nowSeconds }))).map((node) => node.name)));
    for (const node of nodes) if (!named.has(node.name)) preferences[node.name] = -INFINITY;
  }
  for (const [node, value] of index.health) {
    if (!(node in scores) || (value < 0 && truthy(meta["allow-unhealthy-nodes"]))) continue;
    preferences[node] = addScores(preferences[node] ?? 0, value);
  }
  for (const [node, score] of Object.entries(preferences)) scores[node] = symmetric ? addScores(scores[node]!, score) : score;
  const base = baseId(primitive.id);
  const lastFailureOwn = `last-failure-${primitive.id}`;
  const lastFailureBase = `last-failure-${base}`;
  for (const node of nodes) {
    if (!node.online || node.standby || node.unclean || node.shuttingDown || node.maintenance) scores[node.name] = -INFINITY;
    if (state?.activeOn.length === 1 && state.activeOn[0] === node.name) scores[node.name] = addScores(scores[node.name]!, stickiness);
    if (state?.bannedOn.includes(node.name)) scores[node.name] = -INFINITY;
    const transient = index.transient.get(node.name);
    // A node without transient attributes has no fail count to weigh.
    if (transient === undefined || isEmpty(transient)) continue;
    // A fail count expires failure-timeout after the last failure (Pacemaker's failure-timeout).
    const lastFailureSeconds = Number(transient[lastFailureOwn] ?? transient[lastFailureBase] ?? Number.NaN);
    const expired = failureTimeoutSeconds > 0 && Number.isFinite(lastFailureSeconds) && lastFailureSeconds + failureTimeoutSeconds <= nowSeconds;
    const failCount = expired || state?.failuresClearedOn?.includes(node.name) ? 0 : anonymousClone ? anonymousFailCount(transient, base) : addScores(failCountOf(transient, primitive.id), base === primitive.id ? 0 : failCountOf(transient, base));
    // A resource with a failure taken as success (on-fail=ignore) ignores its migration-threshold too (Pacemaker's pcmk__threshold_reached).
    if (threshold > 0 && failCount >= threshold && state?.failureIgnored !== true) scores[node.name] = -INFINITY;
    // A failed start bans the node only through its fail count, which the node sets to INFINITY when
    // start-failure-is-fatal holds (as Pacemaker's controller does); the scheduler adds no ban of its own.
  }
  return scores;
}

function isEmpty(attributes: Record<string, string>): boolean {
  for (const _ in attributes) return false;
  return true;
}

function usesValueSource(rule: Rule): boolean {
  return rule.expressions.some((expression) => expression.valueSource !== undefined) || rule.rules.some(usesValueSource);
}

/**
 * What value-source="param" and "meta" read for a location of a resource (Pacemaker's match
 * data): its instance attributes as they apply on the node, and its meta attributes.
 */
export function resourceValuesOf(cib: Cib, resource: string | { instance: NvSet[]; meta: NvSet[] }, nowSeconds: number): ((node: NodeAttributes) => NonNullable<RuleContext["resourceValues"]>) | undefined {
  const found = typeof resource === "string" ? findResource(cib, resource) : resource;
  if (found === undefined) return undefined;
  const meta = { ...flattenSets(cib.rscDefaults), ...flattenSets(found.meta) };
  return (node) => ({ param: evaluateSets(found.instance, { now: nowSeconds, node }), meta });
}

function findResource(cib: Cib, id: string): { instance: NvSet[]; meta: NvSet[] } | undefined {
  for (const resource of cib.resources) {
    if (resource.id === id) return resource;
    const inside = resource.kind === "group" ? resource.members : resource.kind === "clone" ? [resource.child, ...(resource.child.kind === "group" ? resource.child.members : [])] : [];
    const member = inside.find((each) => each.id === id);
    if (member) return member;
  }
  return undefined;
}

export function failureTimeoutOf(meta: Record<string, string>): number {
  const text = meta["failure-timeout"];
  if (text === undefined) return 0;
  try { return Math.floor(parseDurationMs(text, "failure-timeout") / 1000); } catch { return 0; }
}

/**
 * An anonymous clone's instances are interchangeable: its fail count on a node sums the
 * counts recorded under the base name and under every instance number ("rsc:N").
 */
export function anonymousFailCount(attributes: Record<string, string>, base: string): number {
  let total = 0;
  const prefix = `fail-count-${base}`;
  for (const [name, value] of Object.entries(attributes)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^(:\d+)?(#.*)?$/.test(rest)) total = addScores(total, parseScore(value));
  }
  return total;
}

export function failCountOf(attributes: Record<string, string>, resource: string): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (name === `fail-count-${resource}` || name.startsWith(`fail-count-${resource}#`)) total = addScores(total, parseScore(value));
  }
  return total;
}
