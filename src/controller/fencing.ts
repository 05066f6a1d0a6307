// Fencing at the level of the cluster: the fence history (every node keeps a copy; the DC
// merges the members' copies at a join and sends every change to every member), a
// person's requests served by the DC (`stonith fence NODE`, `stonith confirm NODE`), and
// what a node confirmed down means for the DC: nothing runs there any more, it is no
// longer expected up, and a fencing of it that still runs is over. Pure.
import type { ClientReply, ClientRequest, FenceHistoryEntry } from "./protocol";
import { FENCE_HISTORY_ENTRIES_MAX } from "./protocol";
import { withStatus } from "./summary";
import { wantPlan } from "./execution";
import { idOf, localName, log, nameOf, optionsNow, type Context, type DcState, type Effects, type WriteOrigin } from "./context";

/** Entries of the fence history kept on every node (the oldest go first). */
export const FENCE_HISTORY_MAX = 200;

function finished(entry: FenceHistoryEntry): boolean {
  return entry.state !== "pending";
}

/**
 * Two copies of the history as one: the union by id, where a finished entry replaces a
 * pending one of the same id; oldest request first, at most FENCE_HISTORY_MAX.
 */
export function mergeFenceHistory(mine: readonly FenceHistoryEntry[], theirs: readonly FenceHistoryEntry[]): FenceHistoryEntry[] {
  const byId = new Map<string, FenceHistoryEntry>();
  for (const entry of [...mine, ...theirs]) {
    const known = byId.get(entry.id);
    if (known === undefined || (!finished(known) && finished(entry))) byId.set(entry.id, entry);
  }
  const merged = [...byId.values()].sort((left, right) => left.requestedAtMs - right.requestedAtMs || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  return merged.slice(-Math.min(FENCE_HISTORY_MAX, FENCE_HISTORY_ENTRIES_MAX));
}

/** Puts entries into this node's history; the version moves only when something changed. */
export function recordFences(context: Context, entries: readonly FenceHistoryEntry[]): void {
  const merged = mergeFenceHistory(context.fenceHistory, entries);
  if (JSON.stringify(merged) === JSON.stringify(context.fenceHistory)) return;
  context.fenceHistory = merged;
  context.fenceHistoryVersion++;
}

/** A history read at start: a fencing this node had running cannot be running any more. */
export function historyAtStart(entries: readonly FenceHistoryEntry[], local: string): FenceHistoryEntry[] {
  return mergeFenceHistory([], entries.map((entry) => (entry.state === "pending" && entry.origin === local ? { ...entry, state: "failed", reason: `${entry.reason}; the agent on ${local} restarted before it ended` } : entry)));
}

/** The last fencings, as `edgeha status` shows them (the summary's `fencing`). */
export function recentFencings(context: Context, count: number): Array<{ target: string; action: string; state: "pending" | "done" | "failed"; by?: string; atSeconds?: number; reason?: string }> {
  return context.fenceHistory.slice(-count).map((entry) => ({
    target: entry.target, action: entry.action, state: entry.state,
    by: entry.action === "confirm" ? `${entry.client ?? "a person"} on ${entry.origin}` : entry.executor ?? entry.origin,
    atSeconds: Math.floor((entry.completedAtMs ?? entry.requestedAtMs) / 1000), reason: entry.reason,
  }));
}

function newFenceId(context: Context, what: string): string {
  return `${what}-${localName(context)}-${context.epochSeconds}-${context.nextFenceId++}`;
}

/**
 * Starts fencing `target` (a transition's step, or a person's request with transition 0):
 * the fence effect, a pending history entry, and the note that it runs. A fencing of the
 * same node that already runs is joined instead (joinFencing).
 */
export function startFencing(context: Context, state: DcState, request: { target: string; action: "off" | "reboot" | "on"; transition: number; step: number; reason: string; origin?: string; client?: string }, out: Effects): string {
  const running = context.fencesRunning.get(request.target);
  if (running !== undefined) return running;
  // An unfencing's id says so (fence-done carries only the id): its success must never read as the node being down.
  const id = newFenceId(context, request.action === "on" ? "unfence" : "fence");
  context.fencesRunning.set(request.target, id);
  out.push({ kind: "fence", id, transition: request.transition, step: request.step, target: request.target, action: request.action, cib: withStatus(context, state), members: [...state.acked].map((member) => nameOf(context, member)), ...(request.client ? { byPerson: true as const } : {}) });
  recordFences(context, [{
    id, target: request.target, action: request.action, state: "pending", origin: request.origin ?? localName(context), ...(request.client ? { client: request.client } : {}),
    requestedAtMs: context.epochSeconds * 1000, reason: request.reason,
  }]);
  return id;
}

/** Who asked, as the history names it: a member that forwarded the request, else this node. */
function originName(context: Context, origin: WriteOrigin): string {
  return "node" in origin ? nameOf(context, origin.node) : localName(context);
}

export function answer(context: Context, origin: WriteOrigin, reply: ClientReply, out: Effects): void {
  if ("clientId" in origin) out.push({ kind: "reply", clientId: origin.clientId, reply });
  else out.push({ kind: "send", to: origin.node, message: { t: "reply", requestId: origin.requestId, reply } });
}

/** A node the request may name: one of the cluster's nodes. */
function unknownTarget(context: Context, target: string): ClientReply | undefined {
  if (idOf(context, target) !== undefined) return undefined;
  return { ok: false, code: "E_FENCE_TARGET", error: `"${target}" is not a node of this cluster (nodes: ${context.settings.nodes.map((node) => node.name).join(", ")})` };
}

/** `stonith fence NODE`: the DC fences the node now and answers when the fencing ended. */
export function fenceForClient(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "fence" }>, origin: WriteOrigin, out: Effects): void {
  const refused = unknownTarget(context, request.target);
  if (refused) return answer(context, origin, refused, out);
  if (request.target === localName(context)) {
    // The DC runs every fencing here; fencing itself would leave nobody to see it through.
    return answer(context, origin, { ok: false, code: "E_FENCE_TARGET", error: `${request.target} is the DC, which runs the cluster's fencing: it cannot fence itself; stop its agent (edgeha node stop) so that another node becomes the DC, or power it off through its BMC` }, out);
  }
  const asker = originName(context, origin);
  const action = request.action ?? (optionsNow(context).stonithAction === "off" ? "off" : "reboot");
  const joined = context.fencesRunning.get(request.target);
  const id = startFencing(context, state, { target: request.target, action, transition: 0, step: 0, reason: `${request.client} on ${asker} asked to ${action} ${request.target}`, origin: asker, client: request.client }, out);
  if (joined !== undefined) log(out, "info", "a fencing of this node already runs: the request waits for its end", { target: request.target, id });
  else log(out, "warn", "fencing a node at a person's request", { target: request.target, action, client: request.client, origin: asker });
  context.fenceWaiters.set(id, [...(context.fenceWaiters.get(id) ?? []), origin]);
}

/**
 * `stonith confirm NODE`: a person made sure the node is down. The cluster takes it for
 * fenced at once: a fencing of it that runs is stopped, a transition waiting for one goes
 * on, and the resources it held are recovered. A member of the view answers heartbeats, so
 * it is not down: that is refused.
 */
export function confirmForClient(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "fence-confirm" }>, origin: WriteOrigin, out: Effects): void {
  const refused = unknownTarget(context, request.target);
  if (refused) return answer(context, origin, refused, out);
  const targetId = idOf(context, request.target)!;
  if (context.members.includes(targetId) && !context.fencedInView.has(request.target)) {
    return answer(context, origin, { ok: false, code: "E_FENCE_TARGET", error: `${request.target} is a member of the cluster (it answers heartbeats), so it is not down: nothing was confirmed; fence it with 'edgeha stonith fence ${request.target}' instead` }, out);
  }
  const asker = originName(context, origin);
  const nowMs = context.epochSeconds * 1000;
  const reason = `${request.client} on ${asker} confirmed by hand that ${request.target} is down`;
  const entry: FenceHistoryEntry = { id: newFenceId(context, "confirm"), target: request.target, action: "confirm", state: "done", origin: asker, client: request.client, requestedAtMs: nowMs, completedAtMs: nowMs, reason };
  const running = context.fencesRunning.get(request.target);
  if (running !== undefined) {
    context.fencesRunning.delete(request.target);
    out.push({ kind: "fence-cancel", id: running, target: request.target });
    const pending = context.fenceHistory.find((each) => each.id === running);
    if (pending) recordFences(context, [{ ...pending, state: "failed", completedAtMs: nowMs, reason: `${pending.reason}; stopped: ${reason}` }]);
    for (const waiter of context.fenceWaiters.get(running) ?? []) answer(context, waiter, { ok: true, message: `${request.target} was confirmed down by hand (${request.client} on ${asker}) before the fencing ended`, fence: entry }, out);
    context.fenceWaiters.delete(running);
  }
  recordFences(context, [entry]);
  log(out, "warn", "a person confirmed a node down: it is taken for fenced", { target: request.target, client: request.client, origin: asker });
  nodeDown(context, state, request.target, `${request.target} was confirmed down by ${request.client}`);
  // A fencing that failed before holds planning back for a while: the confirm ends that wait.
  state.fenceBlockedUntilMs = -Infinity;
  answer(context, origin, { ok: true, message: `${reason}; the cluster takes it for fenced and recovers its resources`, fence: entry }, out);
}

/**
 * A node is known down (fenced, or confirmed by hand): nothing runs there, it is not
 * expected up, and steps of the running transition that wait for its fencing are done.
 * One still in the view counts as offline until it leaves it.
 */
export function nodeDown(context: Context, state: DcState | undefined, target: string, why: string): void {
  context.expectedUp.delete(target);
  // Its state is known now (fenced or confirmed down): no startup fencing for it.
  context.known.add(target);
  const id = idOf(context, target);
  if (id !== undefined && context.members.includes(id)) {
    context.fencedInView.add(target);
    const incarnation = context.incarnations[id];
    if (incarnation !== undefined) context.fencedIncarnations.set(target, incarnation);
    else context.fencedIncarnations.delete(target);
  }
  if (!state) return;
  state.reports.delete(target);
  state.stopFailedNodes.delete(target);
  state.unfenced.delete(target);
  for (const step of state.transition?.steps ?? []) if (step.kind === "fence" && step.node === target && step.state === "running") step.state = "done";
  wantPlan(state, why);
}

/** A fencing this node ran ended: the history, whoever waits for it, and the DC's state. */
export function fencingEnded(context: Context, state: DcState | undefined, input: { id: string; target: string; ok: boolean; reason: string; epochSeconds: number; record?: Pick<FenceHistoryEntry, "device" | "executor" | "completedAtMs"> }, out: Effects): boolean {
  if (context.fencesRunning.get(input.target) !== input.id) {
    // Stopped by a confirm meanwhile (its entry is final already), or not ours.
    log(out, "info", "a fencing that no longer counts ended", { target: input.target, id: input.id, ok: input.ok });
    return false;
  }
  context.fencesRunning.delete(input.target);
  const pending = context.fenceHistory.find((entry) => entry.id === input.id);
  const entry: FenceHistoryEntry = {
    ...(pending ?? { id: input.id, target: input.target, action: "reboot", origin: localName(context), requestedAtMs: input.epochSeconds * 1000 }),
    state: input.ok ? "done" : "failed", completedAtMs: input.record?.completedAtMs ?? input.epochSeconds * 1000, reason: input.reason,
    ...(input.record?.device ? { device: input.record.device } : {}), ...(input.record?.executor ? { executor: input.record.executor } : {}),
  };
  recordFences(context, [entry]);
  for (const waiter of context.fenceWaiters.get(input.id) ?? []) {
    answer(context, waiter, input.ok ? { ok: true, message: `${input.target} was fenced (${entry.action}): ${input.reason}`, fence: entry } : { ok: false, code: "E_FENCE_FAILED", error: `fencing ${input.target} failed: ${input.reason}`, fence: entry }, out);
  }
  context.fenceWaiters.delete(input.id);
  return true;
}

/** The DC sends its history to every joined member that has not got this version yet. */
export function publishFenceHistory(context: Context, state: DcState, out: Effects): void {
  if (context.fenceHistory.length === 0) return;
  for (const id of state.acked) {
    if (id === context.settings.localId || !context.members.includes(id) || state.historySent.get(id) === context.fenceHistoryVersion) continue;
    state.historySent.set(id, context.fenceHistoryVersion);
    out.push({ kind: "send", to: id, message: { t: "fence-history", ringId: context.ringId, records: [...context.fenceHistory] } });
  }
}
