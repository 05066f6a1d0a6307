// Requests of clients (the CLI through the local admin socket). A member forwards them to
// its DC and passes the answer back; the DC serves them: a configuration change is
// versioned, stored, distributed and answered once every member stored it.
import { formatVersion, parseNativeCib, type Cib } from "../cib";
import { EdgehaError } from "../common/errors";
import type { ClientReply, ClientRequest, ControllerMessage } from "./protocol";
import { relocationPlan } from "./relocate";
import { withStatus } from "./summary";
import { adopt, distribute } from "./join";
import { replan } from "./execution";
import { localName, log, nameOf, type Context, type DcState, type Effects, type WriteOrigin } from "./context";

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

/** The DC serves a request, from a local client or forwarded by a member. */
export function serve(context: Context, state: DcState, request: ClientRequest, origin: WriteOrigin, out: Effects): void {
  switch (request.kind) {
    case "placement":
      answer(origin, { ok: true, relocations: relocationPlan(withStatus(context, state), context.epochSeconds, request.resources) }, out);
      return;
    case "cleanup":
      cleanup(context, state, request, out);
      answer(origin, { ok: true, message: `cleaned up ${request.resource ?? "all resources"} on ${request.node ?? "every node"}` }, out);
      return;
    case "cib-replace":
      change(context, state, request, origin, out);
      return;
  }
}

function cleanup(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "cleanup" }>, out: Effects): void {
  if (request.resource === undefined) state.blocked.clear();
  else state.blocked.delete(request.resource);
  for (const id of state.acked) {
    const name = nameOf(context, id);
    if (request.node !== undefined && request.node !== name) continue;
    if (id === context.settings.localId) out.push({ kind: "cleanup", resource: request.resource });
    else out.push({ kind: "send", to: id, message: { t: "cleanup", ringId: context.ringId, resource: request.resource } });
  }
}

function change(context: Context, state: DcState, request: Extract<ClientRequest, { kind: "cib-replace" }>, origin: WriteOrigin, out: Effects): void {
  if (!context.quorate) {
    answer(origin, { ok: false, code: "E_NO_QUORUM", error: "the DC's partition is not quorate; configuration changes are refused until it is" }, out);
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
  distribute(context, state, origin, out);
  replan(state, "configuration changed");
}
