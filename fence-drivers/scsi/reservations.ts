// The fence_scsi operations over any transport that can run one SCSI command:
// unfence (register, then reserve if nobody holds a reservation), fence (preempt
// the victim's key, PREEMPT AND ABORT first, PREEMPT when the target rejects it)
// and status (is the key registered). UNIT ATTENTION is retried a bounded number
// of times because a target reports it once per nexus without running the command.
import { EdgehaError } from "../../src/common/errors";
import {
  STATUS_CHECK_CONDITION,
  STATUS_GOOD,
  STATUS_RESERVATION_CONFLICT,
  TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
  decodeSense,
  describeSense,
  describeStatus,
  formatKey,
  isIllegalRequest,
  isUnitAttention,
  parseReadKeys,
  parseReadReservation,
  reserveInCommand,
  reserveOutCommand,
  reserveOutParameters,
  type RegisteredKeys,
  type Reservation,
  type ReserveOutAction,
  type Sense,
} from "./protocol";

export interface ScsiCommand {
  cdb: Buffer;
  dataOut?: Buffer;
  dataInLength?: number;
}

export interface ScsiReply {
  status: number;
  data: Buffer;
  sense: Buffer;
}

/** One I_T nexus to one logical unit: an iSCSI session, or a Linux device through sg_raw. */
export interface ScsiTransport {
  readonly name: string;
  execute(command: ScsiCommand, signal: AbortSignal): Promise<ScsiReply>;
  close(): Promise<void>;
}

/** Unit attentions in a row after which a command counts as failed (each is one per nexus). */
export const UNIT_ATTENTION_RETRIES_MAX = 4;

const READ_ALLOCATION_LENGTH = 8192;

export class ScsiCommandError extends EdgehaError {
  constructor(what: string, device: string, readonly status: number, readonly senseDecoded: Sense | undefined) {
    const senseText = senseDecoded ? `, ${describeSense(senseDecoded)}` : "";
    super("E_SCSI_COMMAND", `${what} on ${device} failed: ${describeStatus(status)}${senseText}`, { device, status });
  }
}

export async function executeRetrying(transport: ScsiTransport, command: ScsiCommand, what: string, signal: AbortSignal): Promise<ScsiReply> {
  for (let attempt = 0; ; attempt++) {
    const reply = await transport.execute(command, signal);
    const sense = reply.status === STATUS_CHECK_CONDITION ? decodeSense(reply.sense) : undefined;
    if (reply.status === STATUS_CHECK_CONDITION && isUnitAttention(sense) && attempt < UNIT_ATTENTION_RETRIES_MAX) continue;
    return reply;
  }
}

async function reserveIn(transport: ScsiTransport, action: "read-keys" | "read-reservation", signal: AbortSignal): Promise<Buffer> {
  const command = { cdb: reserveInCommand(action, READ_ALLOCATION_LENGTH), dataInLength: READ_ALLOCATION_LENGTH };
  const reply = await executeRetrying(transport, command, action, signal);
  if (reply.status !== STATUS_GOOD) throw new ScsiCommandError(`PERSISTENT RESERVE IN ${action}`, transport.name, reply.status, decodeSense(reply.sense));
  return reply.data;
}

export async function readKeys(transport: ScsiTransport, signal: AbortSignal): Promise<RegisteredKeys> {
  return parseReadKeys(await reserveIn(transport, "read-keys", signal));
}

export async function readReservation(transport: ScsiTransport, signal: AbortSignal): Promise<Reservation> {
  return parseReadReservation(await reserveIn(transport, "read-reservation", signal));
}

export async function reserveOut(transport: ScsiTransport, action: ReserveOutAction, ownKey: bigint, serviceKey: bigint, signal: AbortSignal): Promise<ScsiReply> {
  const command = { cdb: reserveOutCommand(action, TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY), dataOut: reserveOutParameters(ownKey, serviceKey) };
  return executeRetrying(transport, command, action, signal);
}

function requireGood(reply: ScsiReply, what: string, device: string): void {
  if (reply.status !== STATUS_GOOD) throw new ScsiCommandError(what, device, reply.status, decodeSense(reply.sense));
}

/** Registers our key on the device (REGISTER AND IGNORE EXISTING KEY) and reserves it if nobody does. */
export async function unfenceDevice(transport: ScsiTransport, ownKey: bigint, signal: AbortSignal): Promise<void> {
  requireGood(await reserveOut(transport, "register-and-ignore", 0n, ownKey, signal), `registering key ${formatKey(ownKey)}`, transport.name);
  const reservation = await readReservation(transport, signal);
  if (!reservation.holder) {
    const reply = await reserveOut(transport, "reserve", ownKey, 0n, signal);
    // Another node may have reserved between our read and our reserve: that is fine
    // as long as a reservation exists now, which the check below proves.
    if (reply.status !== STATUS_GOOD && reply.status !== STATUS_RESERVATION_CONFLICT) requireGood(reply, "reserving", transport.name);
  }
  const keys = await readKeys(transport, signal);
  if (!keys.keys.includes(ownKey)) throw new EdgehaError("E_SCSI_VERIFY", `key ${formatKey(ownKey)} is not registered on ${transport.name} after registering it`);
  if (!(await readReservation(transport, signal)).holder) throw new EdgehaError("E_SCSI_VERIFY", `no reservation exists on ${transport.name} after reserving it`);
}

export type PreemptMethod = "preempt-and-abort" | "preempt" | "not-registered";

/** Removes the victim's key; our own key must be (and is made) registered first. */
export async function fenceDevice(transport: ScsiTransport, ownKey: bigint, victimKey: bigint, signal: AbortSignal): Promise<PreemptMethod> {
  if (ownKey === victimKey) throw new EdgehaError("E_SCSI_SELF", `refusing to fence key ${formatKey(victimKey)}: it is this node's own key`);
  const before = await readKeys(transport, signal);
  if (!before.keys.includes(ownKey)) await unfenceDevice(transport, ownKey, signal);
  if (!before.keys.includes(victimKey)) return "not-registered";
  let method: PreemptMethod = "preempt-and-abort";
  let reply = await reserveOut(transport, "preempt-and-abort", ownKey, victimKey, signal);
  if (reply.status === STATUS_CHECK_CONDITION && isIllegalRequest(decodeSense(reply.sense))) {
    method = "preempt";
    reply = await reserveOut(transport, "preempt", ownKey, victimKey, signal);
  }
  requireGood(reply, `preempting key ${formatKey(victimKey)}`, transport.name);
  const after = await readKeys(transport, signal);
  if (after.keys.includes(victimKey)) throw new EdgehaError("E_SCSI_VERIFY", `key ${formatKey(victimKey)} is still registered on ${transport.name} after preempting it`);
  if (!(await readReservation(transport, signal)).holder) throw new EdgehaError("E_SCSI_VERIFY", `no reservation remains on ${transport.name} after fencing`);
  return method;
}

export async function isRegistered(transport: ScsiTransport, key: bigint, signal: AbortSignal): Promise<boolean> {
  return (await readKeys(transport, signal)).keys.includes(key);
}
