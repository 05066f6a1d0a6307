// Rules that hold after every input the controller handles. A broken one is a bug of this
// code, not a condition to handle: the assertion ends the agent (src/node/agent.ts), which
// restarts and is treated as a crashed member by its peers — the safe direction.
import { compareVersions, formatVersion, type Cib } from "../cib";
import { assert } from "../common/errors";
import type { ClientReply } from "./protocol";
import { dcState, type Context, type ControllerEffect, type ControllerInput, type Effects } from "./context";

export interface Snapshot {
  cib: Cib;
  role: Context["role"]["kind"];
}

export function snapshot(context: Context): Snapshot {
  return { cib: context.cib, role: context.role.kind };
}

export function checkInvariants(context: Context, before: Snapshot, input: ControllerInput, out: Effects): void {
  const where = `after input ${input.kind}${input.kind === "message" ? ` ${input.message.t} from ${input.from}` : ""}`;
  // The configuration in force never goes back.
  assert(compareVersions(context.cib.version, before.cib.version) >= 0, `configuration ${formatVersion(context.cib.version)} is older than ${formatVersion(before.cib.version)} ${where}`);
  if (context.cib !== before.cib) storedBeforeAcknowledged(context, out, where);
  checkRole(context, where);
  for (const effect of out) checkEffect(context, effect, where);
}

/** A configuration put in force is persisted before anyone is told it is stored. */
function storedBeforeAcknowledged(context: Context, out: Effects, where: string): void {
  const persisted = out.findIndex((effect) => effect.kind === "persist" && effect.cib === context.cib);
  assert(persisted !== -1, `configuration ${formatVersion(context.cib.version)} was put in force without being persisted ${where}`);
  const version = formatVersion(context.cib.version);
  const tellsStored = (reply: ClientReply) => reply.ok && reply.version === version;
  const told = out.findIndex((effect) => (effect.kind === "send" && (effect.message.t === "cib-ack" || (effect.message.t === "reply" && tellsStored(effect.message.reply)))) || (effect.kind === "reply" && tellsStored(effect.reply)));
  assert(told === -1 || told > persisted, `a configuration was acknowledged before it was persisted ${where}`);
}

function checkRole(context: Context, where: string): void {
  const role = context.role;
  switch (role.kind) {
    case "electing":
      return;
    case "follower":
      assert(role.dc !== context.settings.localId, `this node follows itself ${where}`);
      assert(context.members.length === 0 || context.members.includes(role.dc), `this node follows a DC outside its view ${where}`);
      return;
    case "dc-joining":
    case "dc": {
      const state = role.state;
      assert(state.acked.has(context.settings.localId), `the DC is not among its joined members ${where}`);
      for (const id of state.acked) assert(context.members.includes(id), `node ${id} counts as joined but is not in the view ${where}`);
      return;
    }
  }
}

function checkEffect(context: Context, effect: ControllerEffect, where: string): void {
  switch (effect.kind) {
    case "send":
      assert(effect.to !== context.settings.localId, `a message to itself ${where}`);
      return;
    case "run": {
      // The DC runs on itself only steps of its running transition (a member runs what its DC says).
      const state = dcState(context);
      if (state) assert(state.transition?.id === effect.transition, `an operation outside the running transition ${where}`);
      return;
    }
    case "persist":
    case "keep-conflict":
    case "configure":
    case "fence":
    case "fence-cancel":
    case "fence-history":
    case "cleanup":
    case "reply":
    case "may-exit":
    case "record-input":
    case "log":
      return;
  }
}
