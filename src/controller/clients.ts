// Requests of clients (the CLI through the local admin socket). A member forwards them to
// its DC and passes the answer back; the DC serves them: a configuration change is
// versioned, stored, distributed and answered once every member stored it.
import { formatVersion, parseNativeCib, type Cib } from "../cib";
import { assert, EdgehaError } from "../common/errors";
import { failureFilter, type ClientReply, type ClientRequest, type ControllerMessage } from "./protocol";
import { relocationPlan } from "./relocate";
import { withStatus } from "./summary";
import { adopt, distribute, lostUnconfirmed, lostUnfenced } from "./replication";
import { replan } from "./execution";
import { confirmForClient, fenceForClient } from "./fencing";
import { localName, log, nameOf, type Context, type DcRole, type DcState, type Effects, type WriteOrigin } from "./context";

/** A client's request is refused here, before any role sees it, when it cannot succeed. */
export function refuseWithoutQuorum(context: Context, clientId: number, request: ClientRequest, out: Effects): boolean {
  if (request.kind !== "cib-replace" || context.quorate) return false;
  out.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NO_QUORUM", error: `${localName(context)} is not in a quorate partition; configuration changes are refused until it is` } });
  return true;
}

export function refuseWithoutDc(clientId: number, out: Effects): void {
  out.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NO_DC", error: "no DC is elected yet; try again in a moment" } });
}

/** A member passes its client's request to the DC and remembers whom to answer. */
export function forward(context: Context, dc: number, clientId: number, request: ClientRequest, out: Effects): void {
  const requestId = context.nextRequestId++;
  context.forwarded.set(requestId, clientId);
  out.push({ kind: "send", to: dc, message: { t: "request", requestId, request } });
}

/** The DC's answer to a forwarded request reaches the client that asked. */
export function onReply(context: Context, message: Extract<ControllerMessage, { t: "reply" }>, out: Effects): void {
  const clientId = context.forwarded.get(message.requestId);
  if (clientId === undefined) return;
  context.forwarded.delete(message.requestId);
  out.push({ kind: "reply", clientId, reply: message.reply });
}

/** A request reached a node that is not the DC (any more). */
export function refuseNotDc(from: number, requestId: number, out: Effects): void {
  out.push({ kind: "send", to: from, message: { t: "reply", requestId, reply: { ok: false, code: "E_NOT_DC", error: "this node is no longer the DC; try again" } } });
}

function answer(origin: WriteOrigin, reply: ClientReply, out: Effects): void {
  if ("clientId" in origin) out.push({ kind: "reply", clientId: origin.clientId, reply });
  else out.push({ kind: "send", to: origin.node, message: { t: "reply", requestId: origin.requestId, reply } });
}

/** Client requests that may wait for a DC's join to complete; beyond this they are refused (retryable). */
const PENDING_REQUESTS_MAX = 64;

/**
 * A request reached the DC. While its join runs, the DC does not yet hold the newest
 * configuration of its partition, nor know every member: the request waits until the join
 * is complete (or is refused with a retryable error when too many wait).
 */
export function onRequest(context: Context, role: DcRole, request: ClientRequest, origin: WriteOrigin, out: Effects): void {
  if (role.kind === "dc") {
    serve(context, role.state, request, origin, out);
    return;
  }
  if (role.state.pending.length >= PENDING_REQUESTS_MAX) {
    answer(origin, { ok: false, code: "E_DC_JOINING", error: `the DC is still joining the members and ${PENDING_REQUESTS_MAX} requests already wait for it; try again in a moment` }, out);
    return;
  }
  role.state.pending.push({ request, origin });
}

/** The join is complete: the requests that waited are served, in the order they came. */
export function servePending(context: Context, state: DcState, out: Effects): void {
  for (const { request, origin } of state.pending.splice(0)) serve(context, state, request, origin, out);
}

/** This node stops being the DC: requests that waited for its join are answered (nothing was applied). */
export function abandonPending(state: DcState, out: Effects): void {
  for (const { origin } of state.pending.splice(0)) answer(origin, { ok: false, code: "E_NOT_DC", error: "the DC changed before it could serve this request; nothing was applied: try again" }, out);
}

/** The DC serves a request, from a local client or forwarded by a member. */
function serve(context: Context, state: DcState, request: ClientRequest, origin: WriteOrigin, out: Effects): void {
  assert(context.role.kind === "dc", "a DC served a request before its join was complete");
  switch (request.kind) {
    case "placement":
      answer(origin, { ok: true, relocations: relocationPlan(withStatus(context, state), context.epochSeconds, request.resources) }, out);
      return;
    case "cleanup": {
      cleanup(context, state, request, out);
      // Only joined members get it: one still joining keeps its failure records, and is named.
      const unreached = context.members.filter((id) => !state.acked.has(id)).map((id) => nameOf(context, id)).filter((name) => request.node === undefined || request.node === name);
      const what = `${request.resource ?? "all resources"}${request.operation === undefined ? "" : ` (fail counts of ${request.operation} every ${request.intervalMs ?? 0} ms)`}`;
      if (unreached.length > 0) answer(origin, { ok: true, message: `cleaned up ${what} on ${request.node ?? "every joined node"}; not on ${unreached.join(", ")}, which has not joined the DC yet: run the cleanup again once \`edgeha status\` shows it online` }, out);
      else answer(origin, { ok: true, message: `cleaned up ${what} on ${request.node ?? "every node"}` }, out);
      return;
    }
    case "cib-replace":
      change(context, state, request, origin, out);
      return;
    case "fence":
      fenceForClient(context, state, request, origin, out);
      return;
    case "fence-confirm":
      confirmForClient(context, state, request, origin, out);
      return;
  }
}

function cleanup(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "cleanup" }>, out: Effects): void {
  if (request.resource === undefined) state.blocked.clear();
  else state.blocked.delete(request.resource);
  for (const id of state.acked) {
    const name = nameOf(context, id);
    if (request.node !== undefined && request.node !== name) continue;
    if (id === context.settings.localId) out.push({ kind: "cleanup", resource: request.resource, ...failureFilter(request) });
    else out.push({ kind: "send", to: id, message: { t: "cleanup", ringId: context.ringId, resource: request.resource, ...failureFilter(request) } });
  }
}

function change(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "cib-replace" }>, origin: WriteOrigin, out: Effects): void {
  if (!context.quorate) {
    answer(origin, { ok: false, code: "E_NO_QUORUM", error: "the DC's partition is not quorate; configuration changes are refused until it is" }, out);
    return;
  }
  const unfenced = lostUnfenced(context);
  if (unfenced.length > 0) {
    answer(origin, { ok: false, code: "E_FENCE_PENDING", error: `${unfenced.join(", ")} left the cluster without a clean stop and is not confirmed fenced yet; until it is, the other side may be changing the configuration too, so changes wait: retry once it is fenced (\`edgeha status\` shows the fencing)` }, out);
    return;
  }
  // A pair without fencing cannot tell a dead peer from a split: both halves keep quorum and
  // one side's changes would be set aside at the merge. Changes wait unless forced (then the
  // answer says the change is held by this half only).
  const unconfirmed = lostUnconfirmed(context);
  if (unconfirmed.length > 0 && request.force !== true) {
    const peer = unconfirmed.join(", ");
    answer(origin, { ok: false, code: "E_PEER_UNCONFIRMED", error: `${peer} left the cluster without a clean stop (or has not been seen since this node started) and fencing is off, so it may still be running on the other side of a split and changing the configuration too; changes wait until it rejoins. If you have made sure ${peer} is down, run \`edgeha stonith confirm ${peer}\`; to store this one change on this half anyway, repeat it with --this-half-only (it may be set aside if the other half is alive)` }, out);
    return;
  }
  // A member of the view that has not answered the join (late, or asked again) may hold a
  // newer configuration than the DC's: a change made now could be overtaken by it when it
  // answers. Changes wait until it has joined or left the membership.
  const unjoined = context.members.filter((id) => !state.acked.has(id)).map((id) => nameOf(context, id));
  if (unjoined.length > 0) {
    answer(origin, { ok: false, code: "E_DC_JOINING", error: `${unjoined.join(", ")} has not joined the DC yet (its configuration may be newer than the DC's); changes wait until it has joined or left the membership: retry in a moment` }, out);
    return;
  }
  const current = formatVersion(context.cib.version);
  if (request.base !== current) {
    answer(origin, { ok: false, code: "E_CIB_CONFLICT", error: `the configuration changed meanwhile (it is now ${current}, the change was made on ${request.base}); read it again and retry` }, out);
    return;
  }
  let next: Cib;
  try {
    next = parseNativeCib(JSON.stringify(request.cib), "the requested configuration");
  } catch (error) {
    answer(origin, { ok: false, code: error instanceof EdgehaError ? error.code : "E_CIB_INVALID", error: error instanceof Error ? error.message : String(error) }, out);
    return;
  }
  next = { ...next, version: { adminEpoch: Math.max(next.version.adminEpoch, context.cib.version.adminEpoch), epoch: context.cib.version.epoch + 1, numUpdates: 0 } };
  log(out, "info", "configuration changed", { version: formatVersion(next.version) });
  adopt(context, next, out);
  if (unconfirmed.length > 0) log(out, "warn", "a forced configuration change is stored on this half of the pair only", { version: formatVersion(next.version), unconfirmed });
  distribute(context, state, origin, out, unconfirmed.length > 0 ? unconfirmed : undefined);
  replan(state, "configuration changed");
}
