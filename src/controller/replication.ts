// Replication of the configuration: the DC sends the configuration in force to every joined
// member (a write); each stores it durably and answers; the write is answered to whoever
// asked only when every member it waits for has stored it. Members store what their DC
// sends, never an older version, and keep their own copy as a backup when the DC replaced it
// with a different one of the same version (a conflict the DC resolved).
import { chainContains, chainOf, checkedLineage, compareMarks, compareVersions, formatMark, formatVersion, markOf, newerMark, parseNativeCib, type Cib, type CibMark } from "../cib";
import type { ClientReply, ControllerMessage } from "./protocol";
import { configurationOnly } from "./summary";
import { recordConflict } from "./conflicts";
import { log, nameOf, optionsNow, type Context, type DcState, type Effects, type WriteOrigin } from "./context";

/** Configured nodes outside the view that did not leave cleanly and are not fenced (or were never seen since this node started). */
export function lostUncleanly(context: Context): string[] {
  return context.settings.nodes.filter((node) => !context.members.includes(node.id) && (context.expectedUp.has(node.name) || !context.known.has(node.name))).map((node) => node.name);
}

/**
 * Nodes lost without a clean stop and not yet fenced, when this partition is no majority of
 * the cluster (a two-node pair split, both halves quorate): the other side may be serving
 * changes of its own until it is fenced, and one of the two would be lost. With fencing off
 * nothing can be waited for (conflicts are then resolved loudly when the sides meet again).
 */
export function lostUnfenced(context: Context): string[] {
  if (!optionsNow(context).stonithEnabled || context.members.length * 2 > context.settings.nodes.length) return [];
  return lostUncleanly(context);
}

/**
 * A pair without fencing whose halves both keep quorum in a split (two_node, no arbiter),
 * alone here: the peer, lost without a clean stop (or never seen since this node started)
 * and not confirmed down by a person, may be alive on the other side of a split and taking
 * changes of its own; at the merge one side's would be set aside. Until it rejoins or is
 * confirmed down (`stonith confirm`), changes wait (E_PEER_UNCONFIRMED). A clean leave
 * (SIGTERM, `node stop`) takes the peer off expectedUp, so it never triggers this.
 */
export function lostUnconfirmed(context: Context): string[] {
  if (context.settings.twoNodeWithoutArbiter !== true || context.settings.nodes.length !== 2 || context.members.length !== 1 || optionsNow(context).stonithEnabled) return [];
  return lostUncleanly(context);
}

/** Sends the configuration in force to every joined member; they store it and answer. */
export function distribute(context: Context, state: DcState, origin: WriteOrigin | undefined, out: Effects, forcedWithout?: string[]): void {
  const writeId = state.nextWriteId++;
  const waiting = new Set([...state.acked].filter((id) => id !== context.settings.localId && context.members.includes(id)));
  const mark = context.lineage.chain[context.lineage.chain.length - 1] ?? markOf(context.cib);
  state.writes.set(writeId, { waiting, holders: new Set([context.settings.localId]), missed: [], origin, version: formatVersion(context.cib.version), mark, sentMs: context.nowMs, ...(forcedWithout ? { forcedWithout } : {}) });
  const wire = JSON.parse(JSON.stringify(configurationOnly(context.cib))) as unknown;
  const chain = context.lineage.chain.map((each) => ({ version: { ...each.version }, digest: each.digest }));
  for (const id of waiting) out.push({ kind: "send", to: id, message: { t: "cib", ringId: context.ringId, writeId, cib: wire, chain } });
  finishWrite(context, state, writeId, out);
}

/**
 * A member stored write `writeId`. Writes reach a member in order and carry versions that
 * only grow, so it holds what every earlier write sent it too: those are acknowledged by it
 * as well (a member that missed an older write, following another DC then, is covered by
 * the newer one it stored after joining again).
 */
export function onCibAck(context: Context, state: DcState, from: number, writeId: number, out: Effects): void {
  for (const [id, write] of [...state.writes]) {
    if (id > writeId || !write.waiting.delete(from)) continue;
    write.holders.add(from);
    finishWrite(context, state, id, out);
  }
}

/** Members that left the view are waited for no longer; the writes they held up are answered now. */
export function forgetLeftMembers(context: Context, state: DcState, out: Effects): void {
  for (const [writeId, write] of [...state.writes]) {
    for (const id of write.waiting) {
      if (context.members.includes(id)) continue;
      write.waiting.delete(id);
      write.missed.push(nameOf(context, id));
    }
    finishWrite(context, state, writeId, out);
  }
}

/**
 * A member of the view that has not stored a write within the join timeout may follow
 * another DC (two DCs met after a merge, and it took the other's join) or have lost the
 * message: it no longer counts as joined, so the DC asks it to join again (see onDcTick);
 * its answer brings a newer write, and storing that one covers the writes it missed. One
 * that has not stored it after twice the join timeout is waited for no longer: the write's
 * origin is told who does not hold it (finishWrite).
 */
export function chaseSlowMembers(context: Context, state: DcState, out: Effects): void {
  for (const [writeId, write] of [...state.writes]) {
    const ageMs = context.nowMs - write.sentMs;
    if (ageMs < context.settings.joinTimeoutMs) continue;
    for (const id of [...write.waiting]) {
      if (state.acked.delete(id)) log(out, "warn", "a member did not store the configuration in time; asking it to join again", { member: nameOf(context, id), version: write.version });
      if (ageMs < 2 * context.settings.joinTimeoutMs) continue;
      write.waiting.delete(id);
      write.missed.push(nameOf(context, id));
    }
    finishWrite(context, state, writeId, out);
  }
}

/**
 * Answers a write's origin once no member it waits for is left. When members did not store
 * it (they left the view, or did not answer in time), it is answered as stored only if every
 * member of this quorate partition holds it; else the client is told it may not survive.
 */
export function finishWrite(context: Context, state: DcState, writeId: number, out: Effects): void {
  const write = state.writes.get(writeId);
  if (write === undefined || write.waiting.size > 0) return;
  state.writes.delete(writeId);
  // Held by the whole quorate partition, and that partition is a majority of the cluster (or
  // nothing else can be running apart from it: every node outside left cleanly or was fenced).
  // A pair split is no majority: the other half may be taking changes of its own.
  const heldByPartition = context.quorate && context.members.every((id) => write.holders.has(id)) && (write.holders.size * 2 > context.settings.nodes.length || lostUncleanly(context).length === 0);
  const missed = [...new Set(write.missed)];
  // Acknowledged by a quorum: kept as this node's mark, durably, before anyone is told.
  if (heldByPartition) noteAcknowledged(context, { ...write.mark, ringId: context.ringId }, out);
  if (write.origin === undefined) return;
  let reply: ClientReply;
  if (write.forcedWithout !== undefined && !heldByPartition) reply = { ok: true, version: write.version, message: `configuration ${write.version} is stored on this half only (forced: ${write.forcedWithout.join(", ")} left without a clean stop and is not confirmed down); it may be set aside if the other half is alive and changed the configuration too` };
  else if (missed.length === 0) reply = { ok: true, version: write.version, message: `configuration ${write.version} is stored on every member` };
  else if (heldByPartition) reply = { ok: true, version: write.version, message: `configuration ${write.version} is stored on every member of the quorate partition (${missed.join(", ")} left before storing it)` };
  else {
    reply = { ok: false, code: "E_CIB_UNCERTAIN", error: `configuration ${write.version} was stored on ${[...write.holders].map((id) => nameOf(context, id)).join(", ")} only: ${missed.join(", ")} did not store it (left the cluster or did not answer in time) and the nodes that hold it are not the whole of a quorate majority (in a pair split the other half may be taking changes too), so it may not survive; read the configuration again and retry if your change is missing` };
    log(out, "warn", "a configuration change could not be confirmed on a quorate partition", { version: write.version, holders: [...write.holders].map((id) => nameOf(context, id)), missed });
  }
  if ("clientId" in write.origin) out.push({ kind: "reply", clientId: write.origin.clientId, reply });
  else out.push({ kind: "send", to: write.origin.node, message: { t: "reply", requestId: write.origin.requestId, reply } });
}

/** A member stores the configuration its DC sent (persisted before the answer goes out). */
export function storeFromDc(context: Context, from: number, message: Extract<ControllerMessage, { t: "cib" }>, out: Effects): void {
  const cib = parseWire(message.cib, "the configuration from the DC", out);
  if (!cib) return;
  const order = compareVersions(cib.version, context.cib.version);
  if (order < 0) {
    // A write sent before this node answered the DC's join, overtaken since: the DC sends the newer one.
    log(out, "warn", "ignoring an older configuration from the DC", { version: formatVersion(cib.version), have: formatVersion(context.cib.version) });
    return;
  }
  const chain = checkedLineage(cib, { chain: message.chain ?? [] }).chain;
  if (message.ringId < context.ringId && context.lineage.mark !== undefined && !chainContains(chain, context.lineage.mark)) {
    // A write of an earlier ring (sent again after a partition healed) without the change this
    // node knows a quorum acknowledged: the DC's join in this ring decides, and distributes then.
    log(out, "warn", "ignoring a configuration from an earlier ring without the newest acknowledged change", { version: formatVersion(cib.version), ringId: message.ringId, mark: formatMark(context.lineage.mark) });
    return;
  }
  if (order === 0 && JSON.stringify(configurationOnly(cib)) !== JSON.stringify(configurationOnly(context.cib))) {
    // The DC resolved a conflict against this node's copy: the copy is kept, and said so.
    recordConflict(context, { winner: cib, loser: context.cib, lostFrom: nameOf(context, context.settings.localId) }, out);
  }
  // Stored from the DC of a quorate partition: this node's mark in this ring (src/cib/lineage.ts), stored with the copy before the answer.
  const mark = context.quorate && message.ringId === context.ringId ? { ...markOf(cib), ringId: context.ringId } : undefined;
  if (order !== 0 || JSON.stringify(configurationOnly(cib)) !== JSON.stringify(configurationOnly(context.cib))) adopt(context, cib, out, { chain, mark });
  else if (mark !== undefined && (context.lineage.mark === undefined || compareMarks(mark, context.lineage.mark) > 0)) {
    context.lineage = { ...context.lineage, mark };
    out.push({ kind: "persist", cib: context.cib, lineage: context.lineage }, { kind: "configure", cib: context.cib });
  } else out.push({ kind: "configure", cib: context.cib });
  context.syncedRing = context.ringId;
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

/**
 * Puts a configuration in force here: stored durably (with its lineage) first, then applied.
 * `from`: the chain it came with (from the DC or a member's offer; empty when unknown) and a
 * newer mark; without it the copy is a change built on the current one.
 */
export function adopt(context: Context, cib: Cib, out: Effects, from?: { chain: readonly CibMark[]; mark?: CibMark | undefined }): void {
  // A copy put in force earlier in this step and not yet written (the join's newest copy, which
  // the nodes section then completes) is superseded before anything left this node: one write.
  const superseded = unwrittenPersist(context, out);
  if (superseded !== undefined) for (let index = out.length - 1; index >= superseded; index--) if (out[index]!.kind !== "log") out.splice(index, 1);
  context.cib = configurationOnly(cib);
  const chain = from ? checkedLineage(context.cib, { chain: from.chain }).chain : chainOf(context.cib, context.lineage.chain);
  const mark = newerMark(context.lineage.mark, from?.mark);
  context.lineage = { chain, ...(mark ? { mark } : {}) };
  out.push({ kind: "persist", cib: context.cib, lineage: context.lineage }, { kind: "configure", cib: context.cib });
}

/** A change a quorum holds: this node's mark when it is newer, stored durably before the effects after it. */
export function noteAcknowledged(context: Context, mark: CibMark, out: Effects): void {
  if (context.lineage.mark !== undefined && compareMarks(mark, context.lineage.mark) <= 0) return;
  context.lineage = { ...context.lineage, mark };
  // A change the DC alone had to store (no member to wait for: a node alone in its quorate
  // partition) is acknowledged in the step that put it in force: its mark goes into that
  // step's write of the copy, which nothing has followed out of this node yet: one write.
  // With members, the DC writes twice per change and both are needed. The copy is written
  // before it is put in force and sent (a configuration in force is on disk: invariants.ts).
  // The mark is written once the members stored it, not before: written early, it would claim
  // a quorum holds a change only this node may hold (a pair whose DC dies before sending it:
  // the survivor's own acknowledged change of the same version could lose the tie at the
  // merge). Nor can it wait for the next change: after a restart, with the members that stored
  // the change down, the DC's mark is what proves it acknowledged; without it a copy written
  // by another partition without it, at a higher version, wins the next join.
  const unwritten = unwrittenPersist(context, out);
  if (unwritten !== undefined) out[unwritten] = { kind: "persist", cib: context.cib, lineage: context.lineage };
  else out.push({ kind: "persist", cib: context.cib, lineage: context.lineage });
}

/**
 * The index of this step's write of the configuration in force when nothing queued after it
 * has left this node or recorded anything (only its "configure" and log lines): what that
 * write stores can still change without anyone having relied on it.
 */
function unwrittenPersist(context: Context, out: Effects): number | undefined {
  for (let index = out.length - 1; index >= 0; index--) {
    const effect = out[index]!;
    if (effect.kind === "persist") return effect.cib === context.cib ? index : undefined;
    if (effect.kind !== "configure" && effect.kind !== "log") return undefined;
  }
  return undefined;
}
