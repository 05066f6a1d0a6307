// What the DC knows of the cluster, in two forms: the CIB with a status section built from
// the members' reports and the view (the scheduler's input), and the short summary every
// member shows in `edgeha status`. A new DC starts from the old DC's last summary.
import { allPrimitives, BOOTSTRAP_SET_ID, flattenSets, formatVersion, parseScore, type Cib, type NodeStatus, type Primitive } from "../cib";
import { addScores, unpackResourceStates } from "../scheduler";
import type { ClusterSummary, NodeReport } from "./protocol";
import { runningCount, type Step } from "./transition";
import { inQuorumGrace, isTrue, localName, optionsNow, type Context, type DcState, type Effects } from "./context";
import { recentFencings } from "./fencing";
import { lostUnconfirmed } from "./replication";

/** Fencings the summary lists (`edgeha status`); `edgeha stonith history` shows the whole history. */
const FENCINGS_SHOWN = 10;

/** The attribute a node feeding a watchdog publishes (WATCHDOG_ATTRIBUTE of src/fencer/watchdog.ts). */
const WATCHDOG_ATTRIBUTE = "#watchdog-timeout-ms";

export function configurationOnly(cib: Cib): Cib {
  return { ...cib, status: [] };
}

/** The configuration plus the status section built from the members' reports and the view. */
export function withStatus(context: Context, state: DcState): Cib {
  const cib = configurationOnly(context.cib);
  const nodes = [...cib.nodes];
  for (const node of context.settings.nodes) if (!nodes.some((each) => each.uname === node.name)) nodes.push({ id: String(node.id), uname: node.name, extra: {}, instance: [], utilization: [] });
  // A node this DC knows nothing of gets no status entry: the scheduler then takes it for
  // unseen (unclean with startup-fencing, as in Pacemaker) rather than cleanly down.
  const unknown = (node: { id: number; name: string }) => !context.members.includes(node.id) && !context.known.has(node.name) && !state.reports.has(node.name);
  const status: NodeStatus[] = context.settings.nodes.filter((node) => !unknown(node)).map((node) => nodeStatus(context, state, node, nodes.find((each) => each.uname === node.name)?.id ?? String(node.id)));
  let resources = cib.resources;
  if (state.blocked.size > 0) {
    const block = (primitive: Primitive): Primitive => (state.blocked.has(primitive.id) ? { ...primitive, meta: [{ id: `${primitive.id}-blocked`, values: { "is-managed": "false" } }, ...primitive.meta] } : primitive);
    resources = resources.map((resource) => resource.kind === "primitive" ? block(resource) : resource.kind === "group" ? { ...resource, members: resource.members.map(block) } : resource);
    resources = [...resources, ...blockedOrphans(cib, state)];
  }
  let properties = cib.properties;
  if (inQuorumGrace(context)) {
    // Hold: what runs keeps running, nothing starts, nobody is fenced.
    const hold = { "no-quorum-policy": "freeze" };
    properties = properties.some((set) => set.id === BOOTSTRAP_SET_ID)
      ? properties.map((set) => (set.id === BOOTSTRAP_SET_ID ? { ...set, values: { ...set.values, ...hold } } : set))
      : [{ id: BOOTSTRAP_SET_ID, values: hold }, ...properties];
  }
  return { ...cib, resources, properties, nodes, status, attributes: { ...cib.attributes, "have-quorum": context.quorate ? "1" : "0", "dc-uuid": String(context.settings.localId) } };
}

/**
 * Resources the configuration no longer holds whose stop failed with fencing off: the
 * scheduler sees them as unmanaged resources of the agent they ran with, so it tries
 * nothing more on them until they are cleaned up (Pacemaker's blocked orphan).
 */
function blockedOrphans(cib: Cib, state: DcState): Primitive[] {
  const configured = new Set(allPrimitives(cib.resources).map((primitive) => primitive.id));
  const orphans: Primitive[] = [];
  for (const id of state.blocked) {
    if (configured.has(id)) continue;
    const reported = [...state.reports.values()].map((report) => report.resources[id]).find((resource) => resource !== undefined);
    if (reported === undefined) continue;
    orphans.push({
      kind: "primitive", id, class: reported.class, type: reported.type, ...(reported.provider ? { provider: reported.provider } : {}), extra: {}, instance: [], operations: [],
      meta: [{ id: `${id}-blocked`, values: { "is-managed": "false" } }],
    });
  }
  return orphans;
}

function nodeStatus(context: Context, state: DcState, node: { id: number; name: string }, id: string): NodeStatus {
  // A node where a stop failed is taken for unclean: the scheduler fences it.
  // A node fenced while still in the view is offline (and clean) until it leaves the view.
  const member = context.members.includes(node.id) && !state.stopFailedNodes.has(node.name) && !context.fencedInView.has(node.name);
  const joined = member && state.acked.has(node.id);
  const report = state.reports.get(node.name);
  const attributes: Record<string, string> = {
    in_ccm: member ? "true" : "false",
    crmd: joined ? "online" : "offline",
    join: joined ? "member" : "down",
    // A member still joining is not expected yet, so it is not taken for unclean.
    expected: context.expectedUp.has(node.name) && (joined || !member) ? "member" : "down",
  };
  if (report?.shutdown) attributes.shutdown = String(context.epochSeconds || 1);
  return {
    id, uname: node.name, attributes,
    transient: report ? [{ id: `status-${node.id}`, values: { ...report.attributes, ...(state.unfenced.has(node.name) ? { "#node-unfenced": String(state.unfenced.get(node.name)) } : {}) } }] : [],
    resources: report ? Object.entries(report.resources).map(([resourceId, resource]) => ({ id: resourceId, class: resource.class, provider: resource.provider, type: resource.type, extra: {}, operations: resource.operations })) : [],
  };
}

/** Builds the summary and sends it to every joined member when it changed. */
export function publishSummary(context: Context, state: DcState, out: Effects): void {
  const summary = buildSummary(context, state);
  const text = JSON.stringify(summary);
  context.summary = summary;
  if (text === context.lastSentSummary) return;
  context.lastSentSummary = text;
  for (const id of state.acked) if (id !== context.settings.localId && context.members.includes(id)) out.push({ kind: "send", to: id, message: { t: "summary", ringId: context.ringId, summary } });
  mirrorExpected(context, summary, out);
}

/** What a summary says about who is expected up and who may leave, applied here. */
export function mirrorExpected(context: Context, summary: ClusterSummary, out: Effects): void {
  // A node that left cleanly or was fenced is no longer expected; members learn it from the DC.
  // One the DC has up is expected (should this node become DC when it is gone, it is fenced);
  // one the DC takes for unclean stays unknown here unless seen.
  // One lost without a clean stop in a pair without fencing stays expected (changes wait for it).
  const unconfirmed = new Set(summary.unconfirmed ?? []);
  for (const node of summary.nodes) {
    if (node.state === "unclean" || unconfirmed.has(node.name)) continue;
    context.known.add(node.name);
    if (node.state === "offline") context.expectedUp.delete(node.name);
    else context.expectedUp.add(node.name);
  }
  for (const name of summary.leaving ?? []) context.expectedUp.delete(name);
  if (context.localReport.shutdown && (summary.leaving ?? []).includes(localName(context)) && !context.leaving) {
    context.leaving = true;
    out.push({ kind: "may-exit" });
  }
}

function buildSummary(context: Context, state: DcState): ClusterSummary {
  const cib = withStatus(context, state);
  const configured = new Set(allPrimitives(context.cib.resources).map((primitive) => primitive.id));
  const resources = summarizeResources(context, cib, state).map((resource) => (configured.has(resource.id) ? resource : { ...resource, orphan: true }));
  const failedActions: ClusterSummary["failedActions"] = [];
  for (const [node, report] of state.reports) for (const failure of report.failures ?? []) failedActions.push({ node, ...failure });
  const transition = state.transition ? { id: state.transition.id, running: runningCount(state.transition), pending: state.transition.steps.filter((step) => step.state === "pending").length } : null;
  // A node that asked to leave is done once nothing runs there and no step involves it.
  const leaving = context.settings.nodes.filter((node) => {
    if (!state.reports.get(node.name)?.shutdown || !context.members.includes(node.id)) return false;
    // Unmanaged resources stay where they are (Pacemaker lets such a node shut down and leaves them running).
    if (resources.some((resource) => resource.managed && resource.nodes.includes(node.name))) return false;
    return !(state.transition?.steps ?? []).some((step) => step.node === node.name && (step.state === "running" || step.state === "pending"));
  }).map((node) => node.name);
  const unconfirmed = lostUnconfirmed(context);
  return {
    dc: localName(context), ringId: context.ringId, cibVersion: formatVersion(context.cib.version), quorate: context.quorate,
    nodes: summarizeNodes(context, state, cib), resources, failedActions, fencing: recentFencings(context, FENCINGS_SHOWN), transition, leaving,
    ...fullStatus(context, state, cib),
    ...(context.conflicts.length > 0 ? { conflicts: [...context.conflicts] } : {}),
    ...(unconfirmed.length > 0 ? { unconfirmed } : {}),
  };
}

type FullStatus = Required<Pick<ClusterSummary, "attributes" | "permanentAttributes" | "history" | "failCounts" | "transitions">>;

/** What `status --full` shows beyond the summary (crm_mon -A -f -o): node attributes, operation history, fail counts, transitions. */
function fullStatus(context: Context, state: DcState, cib: Cib): FullStatus {
  const attributes: FullStatus["attributes"] = {};
  const permanentAttributes: FullStatus["permanentAttributes"] = {};
  const history: FullStatus["history"] = [];
  const failCounts: FullStatus["failCounts"] = [];
  const metaOf = resourceMeta(cib);
  for (const node of context.settings.nodes) {
    const permanent = flattenSets(cib.nodes.find((each) => each.uname === node.name)?.instance ?? []);
    if (Object.keys(permanent).length > 0) permanentAttributes[node.name] = permanent;
    const report = state.reports.get(node.name);
    if (!report) continue;
    if (Object.keys(report.attributes).length > 0) attributes[node.name] = { ...report.attributes };
    const entries: FullStatus["history"] = [];
    for (const [resource, reported] of Object.entries(report.resources)) {
      for (const record of reported.operations) {
        // What a new DC took over from the old DC's summary is a guess, not a result.
        if (record.attributes["from-summary"] === "true") continue;
        const number = (key: string) => (record.attributes[key] !== undefined && Number.isFinite(Number(record.attributes[key])) ? Number(record.attributes[key]) : undefined);
        const lastRcChangeSeconds = number("last-rc-change");
        const execMs = number("exec-time");
        const queueMs = number("queue-time");
        const reason = record.attributes["exit-reason"];
        entries.push({
          node: node.name, resource, operation: record.operation, intervalMs: record.intervalMs, rc: record.rcCode, callId: record.callId, opStatus: record.opStatus,
          ...(lastRcChangeSeconds !== undefined ? { lastRcChangeSeconds } : {}), ...(execMs !== undefined ? { execMs } : {}), ...(queueMs !== undefined ? { queueMs } : {}), ...(reason ? { reason } : {}),
        });
      }
    }
    history.push(...entries.sort((left, right) => left.callId - right.callId));
    // fail-count-RSC#OP_INTERVAL (and the older fail-count-RSC) summed per resource, as Pacemaker counts them.
    const counts = new Map<string, { count: number; lastFailureSeconds?: number }>();
    for (const [key, value] of Object.entries(report.attributes)) {
      const failure = /^(fail-count|last-failure)-(.+?)(#.*)?$/.exec(key);
      if (!failure) continue;
      const resource = failure[2]!;
      const entry = counts.get(resource) ?? { count: 0 };
      if (failure[1] === "fail-count") entry.count = addScores(entry.count, parseScore(value));
      else if (Number.isFinite(Number(value))) entry.lastFailureSeconds = Math.max(entry.lastFailureSeconds ?? 0, Number(value));
      counts.set(resource, entry);
    }
    for (const [resource, entry] of counts) {
      if (entry.count <= 0) continue;
      const meta = metaOf(resource);
      failCounts.push({ node: node.name, resource, count: entry.count, migrationThreshold: parseScore(meta["migration-threshold"] ?? "INFINITY"), ...(entry.lastFailureSeconds !== undefined ? { lastFailureSeconds: entry.lastFailureSeconds } : {}) });
    }
  }
  const transitions = context.transitionRecords.map((record) => ({ ...record, steps: [...record.steps] }));
  return { attributes, permanentAttributes, history, failCounts, transitions };
}

/** The meta attributes in force for a resource id (a clone instance "web:1" is its primitive): rsc_defaults, then its parents, then its own. */
function resourceMeta(cib: Cib): (id: string) => Record<string, string> {
  const defaults = flattenSets(cib.rscDefaults);
  const metas = new Map<string, Record<string, string>>();
  for (const resource of cib.resources) {
    const own = flattenSets(resource.meta);
    metas.set(resource.id, { ...defaults, ...own });
    const child = resource.kind === "clone" ? resource.child : resource;
    const childMeta = resource.kind === "clone" ? { ...own, ...flattenSets(child.meta) } : own;
    if (child !== resource) metas.set(child.id, { ...defaults, ...childMeta });
    const members = child.kind === "group" ? child.members : child.kind === "primitive" ? [child] : [];
    for (const primitive of members) metas.set(primitive.id, { ...defaults, ...childMeta, ...flattenSets(primitive.meta) });
  }
  return (id) => metas.get(id) ?? metas.get(id.replace(/:\d+$/, "")) ?? defaults;
}

function summarizeNodes(context: Context, state: DcState, cib: Cib): ClusterSummary["nodes"] {
  const options = optionsNow(context, cib);
  return context.settings.nodes.map((node) => {
    const member = context.members.includes(node.id) && !context.fencedInView.has(node.name);
    const joined = member && state.acked.has(node.id);
    const attributes = flattenSets(cib.nodes.find((each) => each.uname === node.name)?.instance ?? []);
    const report = state.reports.get(node.name);
    let nodeState: ClusterSummary["nodes"][number]["state"];
    const unseen = !context.known.has(node.name) && !state.reports.has(node.name) && options.startupFencing;
    if (!member) nodeState = (context.expectedUp.has(node.name) || unseen) && options.stonithEnabled ? "unclean" : "offline";
    else if (!joined) nodeState = "pending";
    else if (report?.shutdown) nodeState = "shutting-down";
    else if (isTrue(attributes.maintenance)) nodeState = "maintenance";
    else if (isTrue(attributes.standby)) nodeState = "standby";
    else nodeState = "online";
    const watchdogTimeoutMs = Number(report?.attributes[WATCHDOG_ATTRIBUTE]);
    const unfencedAt = state.unfenced.get(node.name);
    return { name: node.name, state: nodeState, ...(Number.isInteger(watchdogTimeoutMs) && watchdogTimeoutMs > 0 ? { watchdogTimeoutMs } : {}), ...(unfencedAt === undefined ? {} : { unfencedAt: Math.max(0, Math.floor(unfencedAt)) }) };
  });
}

function summarizeResources(context: Context, cib: Cib, state: DcState): ClusterSummary["resources"] {
  const options = optionsNow(context, cib);
  const states = unpackResourceStates(cib);
  const groupOf = new Map<string, string>();
  const primitives: Array<{ id: string; agent: string; meta: Record<string, string> }> = [];
  for (const resource of cib.resources) {
    const each = resource.kind === "clone" ? (resource.child.kind === "group" ? resource.child.members : [resource.child]) : resource.kind === "group" ? resource.members : [resource];
    for (const primitive of each) {
      if (resource.kind === "group") groupOf.set(primitive.id, resource.id);
      primitives.push({ id: primitive.id, agent: `${primitive.class}:${primitive.provider ? `${primitive.provider}:` : ""}${primitive.type}`, meta: { ...flattenSets(resource.meta), ...flattenSets(primitive.meta) } });
    }
  }
  // Resources the configuration no longer holds (orphans) are shown while they run or stop.
  for (const node of cib.status) for (const history of node.resources) {
    // A clone instance's history ("web:1") belongs to its configured primitive.
    const base = history.id.replace(/:\d+$/, "");
    if (primitives.some((each) => each.id === history.id || each.id === base) || (states.get(history.id)?.activeOn ?? []).length === 0) continue;
    primitives.push({ id: history.id, agent: `${history.class}:${history.provider ? `${history.provider}:` : ""}${history.type}`, meta: {} });
  }
  const running = new Map<string, Step>();
  for (const step of state.transition?.steps ?? []) if (step.state === "running" && step.resource) running.set(step.resource, step);
  return primitives.map((primitive) => {
    const resourceState = states.get(primitive.id);
    const nodesActive = resourceState?.activeOn ?? [];
    const failed = (resourceState?.failedOn ?? []).length > 0;
    const step = running.get(primitive.id);
    const managed = !(options.maintenanceMode || primitive.meta["is-managed"] === "false" || isTrue(primitive.meta.maintenance));
    let role: ClusterSummary["resources"][number]["role"] = nodesActive.length > 0 ? "Started" : "Stopped";
    if (failed) role = "FAILED";
    if (step?.kind === "start") role = "Starting";
    if (step?.kind === "stop") role = "Stopping";
    return { id: primitive.id, agent: primitive.agent, group: groupOf.get(primitive.id), role, nodes: step?.kind === "start" ? [step.node] : nodesActive, managed, targetRole: primitive.meta["target-role"] };
  });
}

/**
 * A new DC knows the other nodes' resources only from the last summary of the old DC.
 * Until a node reports for itself (join) or is fenced, what the summary said runs there
 * is taken as running there: the scheduler then knows what a lost node held, and
 * priority-fencing-delay knows how important it was.
 */
export function seedFromSummary(context: Context, state: DcState, summary: ClusterSummary): void {
  // The old DC's recent transitions stay shown; one it was still running ended with it.
  if (context.transitionRecords.length === 0) {
    context.transitionRecords = (summary.transitions ?? []).map((record) => ({ ...record, dc: record.dc ?? summary.dc, steps: [...record.steps], result: record.result === "running" ? "aborted" : record.result }));
  }
  // Nodes the old DC unfenced stay unfenced (#node-unfenced, which Pacemaker keeps in the CIB's
  // status): the new DC does not unfence them again. One that left since is forgotten in startJoin.
  for (const node of summary.nodes) if (node.unfencedAt !== undefined && !state.unfenced.has(node.name)) state.unfenced.set(node.name, node.unfencedAt);
  for (const node of context.settings.nodes) {
    if (node.id === context.settings.localId || state.reports.has(node.name)) continue;
    const resources: NodeReport["resources"] = {};
    for (const resource of summary.resources) {
      if (!resource.nodes.includes(node.name) || resource.role === "Stopped") continue;
      const [agentClass = "ocf", second, third] = resource.agent.split(":");
      resources[resource.id] = {
        class: agentClass, provider: third === undefined ? undefined : second, type: third ?? second ?? "unknown",
        operations: [{ id: `${resource.id}_last_0`, operation: "monitor", callId: 1, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { "from-summary": "true" } }],
      };
    }
    // A lost node's watchdog stays known, so that it can be fenced by waiting stonith-watchdog-timeout.
    const watchdogTimeoutMs = summary.nodes.find((each) => each.name === node.name)?.watchdogTimeoutMs;
    if (Object.keys(resources).length === 0 && watchdogTimeoutMs === undefined) continue;
    const attributes: Record<string, string> = watchdogTimeoutMs === undefined ? {} : { [WATCHDOG_ATTRIBUTE]: String(watchdogTimeoutMs) };
    state.reports.set(node.name, { node: node.name, probed: true, cibVersion: summary.cibVersion, busy: false, resources, attributes, shutdown: false });
  }
}
