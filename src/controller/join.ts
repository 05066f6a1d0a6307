// Join and replication. The DC asks every member of the view to join; each answers with
// its configuration and its report; the DC adopts the newest configuration of the
// partition, then distributes the configuration in force. A write (a join's result or a
// client's change) is answered only when every member waited for has stored it.
import { clusterOptions, compareVersions, formatVersion, parseNativeCib, type Cib } from "../cib";
import type { ClientReply, ControllerMessage } from "./protocol";
import { configurationOnly, seedFromSummary } from "./summary";
import { wantPlan } from "./execution";
import { claimOf, localName, log, nameOf, type Context, type DcRole, type DcState, type Effects, type WriteOrigin } from "./context";

/** Resend joins this often to members that have not answered. */
export const JOIN_RESEND_MS = 300;

function newDcState(context: Context, nowMs: number): DcState {
  return {
    ringId: context.ringId, since: context.ringId, quorateSince: undefined, lastJoinSentMs: nowMs, acked: new Set(), joinStartedMs: nowMs, reports: new Map(), transition: undefined, nextTransitionId: 1,
    needPlan: true, planReasons: ["a new DC took over"], lastPlanMs: -Infinity, fenceBlockedUntilMs: -Infinity, writes: new Map(), nextWriteId: 1, stopFailedNodes: new Set(), blocked: new Set(),
    futile: undefined, planNotBeforeMs: -Infinity, recentPlansMs: [], throttled: false,
  };
}

/** Becomes the DC (or stays it, in a new view) and asks every member to join. */
export function startJoin(context: Context, nowMs: number, out: Effects): void {
  const previous = context.role.kind === "dc" || context.role.kind === "dc-joining" ? context.role.state : undefined;
  if (previous?.transition) previous.transition.aborted = true;
  const state = previous ?? newDcState(context, nowMs);
  if (!previous && context.summary) seedFromSummary(context, state, context.summary);
  state.ringId = context.ringId;
  if (context.quorate) state.quorateSince ??= context.ringId;
  state.acked = new Set([context.settings.localId]);
  state.joinStartedMs = nowMs;
  wantPlan(state, `membership changed (ring ${context.ringId}: ${context.members.map((id) => nameOf(context, id)).join(", ")})`);
  state.reports.set(localName(context), context.localReport);
  // A lost node's last report stays until it is fenced (it tells where its resources were and
  // how important they are for priority-fencing-delay); without fencing it is down at once.
  if (!clusterOptions(context.cib).options.stonithEnabled) for (const name of [...state.reports.keys()]) if (!context.members.some((id) => nameOf(context, id) === name)) state.reports.delete(name);
  context.role = { kind: "dc-joining", state };
  // Members that left are no longer waited for; a write they held up completes now.
  for (const [writeId, write] of [...state.writes]) {
    for (const id of write.waiting) if (!context.members.includes(id)) write.waiting.delete(id);
    finishWrite(context, state, writeId, out);
  }
  if (state.transition) for (const step of state.transition.steps) {
    if (step.state === "running" && step.kind !== "fence" && !context.members.some((id) => nameOf(context, id) === step.node)) step.state = "failed";
  }
  sendJoins(context, state, nowMs, out);
  completeJoinIfReady(context, context.role, nowMs, out);
}

export function sendJoins(context: Context, state: DcState, nowMs: number, out: Effects): void {
  state.lastJoinSentMs = nowMs;
  for (const id of context.members) if (!state.acked.has(id)) out.push({ kind: "send", to: id, message: { t: "join", ringId: context.ringId, since: claimOf(state) } });
}

/** The join is complete once every member answered, or the join timeout ran out. */
export function completeJoinIfReady(context: Context, role: DcRole, nowMs: number, out: Effects): void {
  if (role.kind === "dc") return;
  const state = role.state;
  const timedOut = nowMs - state.joinStartedMs >= context.settings.joinTimeoutMs;
  if (!timedOut && context.members.some((id) => !state.acked.has(id))) return;
  context.role = { kind: "dc", state };
  const missing = context.members.filter((id) => !state.acked.has(id)).map((id) => nameOf(context, id));
  if (missing.length > 0) log(out, "warn", "members did not answer the join in time", { missing });
  log(out, "info", "join complete", { ringId: state.ringId, members: [...state.acked].map((id) => nameOf(context, id)), cib: formatVersion(context.cib.version) });
  // Like Pacemaker, the nodes section lists every cluster node, so constraints and node
  // attributes can name them; the bootstrap config is where they come from.
  const missingNodes = context.settings.nodes.filter((node) => !context.cib.nodes.some((each) => each.uname === node.name));
  if (missingNodes.length > 0) {
    const nodes = [...context.cib.nodes, ...missingNodes.map((node) => ({ id: String(node.id), uname: node.name, extra: {}, instance: [], utilization: [] }))];
    adopt(context, { ...context.cib, nodes, version: { ...context.cib.version, epoch: context.cib.version.epoch + 1, numUpdates: 0 } }, out);
  } else {
    out.push({ kind: "configure", cib: context.cib });
  }
  distribute(context, state, undefined, out);
}

/** A member answered the join: its report, and its configuration if newer than ours. */
export function onJoinAck(context: Context, role: DcRole, from: number, message: Extract<ControllerMessage, { t: "join-ack" }>, out: Effects): void {
  const state = role.state;
  if (message.ringId !== context.ringId) return;
  state.acked.add(from);
  // Filed under the authenticated sender, whatever name the report gives.
  state.reports.set(nameOf(context, from), { ...message.report, node: nameOf(context, from) });
  const theirs = parseWire(message.cib, `the configuration from ${nameOf(context, from)}`, out);
  if (theirs && compareVersions(theirs.version, context.cib.version) > 0) {
    log(out, "info", "adopting a newer configuration from a member", { from: nameOf(context, from), version: formatVersion(theirs.version) });
    adopt(context, theirs, out);
  }
  if (role.kind === "dc") distribute(context, state, undefined, out);
  else completeJoinIfReady(context, role, context.nowMs, out);
  wantPlan(state, "a member's newer configuration was adopted");
}

/** Sends the configuration in force to every joined member; they store it and answer. */
export function distribute(context: Context, state: DcState, origin: WriteOrigin | undefined, out: Effects): void {
  const writeId = state.nextWriteId++;
  const waiting = new Set([...state.acked].filter((id) => id !== context.settings.localId && context.members.includes(id)));
  state.writes.set(writeId, { waiting, origin, version: formatVersion(context.cib.version) });
  const wire = JSON.parse(JSON.stringify(configurationOnly(context.cib))) as unknown;
  for (const id of waiting) out.push({ kind: "send", to: id, message: { t: "cib", ringId: context.ringId, writeId, cib: wire } });
  finishWrite(context, state, writeId, out);
}

export function onCibAck(context: Context, state: DcState, from: number, writeId: number, out: Effects): void {
  state.writes.get(writeId)?.waiting.delete(from);
  finishWrite(context, state, writeId, out);
}

/** Answers a write's origin once no member it waits for is left. */
export function finishWrite(context: Context, state: DcState, writeId: number, out: Effects): void {
  const write = state.writes.get(writeId);
  if (write === undefined || write.waiting.size > 0) return;
  state.writes.delete(writeId);
  const reply: ClientReply = { ok: true, version: write.version, message: `configuration ${write.version} is stored on every member` };
  if (write.origin === undefined) return;
  if ("clientId" in write.origin) out.push({ kind: "reply", clientId: write.origin.clientId, reply });
  else out.push({ kind: "send", to: write.origin.node, message: { t: "reply", requestId: write.origin.requestId, reply } });
}

/** A member stores the configuration its DC sent (persisted before the answer goes out). */
export function storeFromDc(context: Context, from: number, message: Extract<ControllerMessage, { t: "cib" }>, out: Effects): void {
  const cib = parseWire(message.cib, "the configuration from the DC", out);
  if (!cib) return;
  if (formatVersion(cib.version) !== formatVersion(context.cib.version) || JSON.stringify(configurationOnly(cib)) !== JSON.stringify(configurationOnly(context.cib))) adopt(context, cib, out);
  else out.push({ kind: "configure", cib: context.cib });
  out.push({ kind: "send", to: from, message: { t: "cib-ack", ringId: context.ringId, writeId: message.writeId } });
}

export function parseWire(value: unknown, what: string, out: Effects): Cib | undefined {
  try {
    return parseNativeCib(JSON.stringify(value), what);
  } catch (error) {
    log(out, "error", `ignoring ${what}: it is not a valid configuration`, { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

/** Puts a configuration in force here: stored durably first, then applied. */
export function adopt(context: Context, cib: Cib, out: Effects): void {
  context.cib = configurationOnly(cib);
  out.push({ kind: "persist", cib: context.cib }, { kind: "configure", cib: context.cib });
}
