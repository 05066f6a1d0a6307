// The Linux device transport: Node has no ioctl(), so on /dev/sd*, /dev/mapper/*
// and /dev/disk/by-id/* we run sg_persist (sg3-utils), the same tool fence_scsi
// uses, instead of carrying a native SG_IO addon. It sits behind ScsiTransport:
// the command blocks our protocol code builds are mapped to sg_persist options,
// its exit status to a SCSI status and sense key, and its text answers back to
// the reply bytes our parsers read, so the fencing logic is the same on both
// transports. sg3-utils exit statuses: 0 good, 5 illegal request, 6 unit
// attention, 24 reservation conflict, 2 not ready, 15 or 50+errno cannot open the device.
import { execFileProgram } from "../../src/common/spawn";
import { EdgehaError } from "../../src/common/errors";
import { STATUS_CHECK_CONDITION, STATUS_GOOD, STATUS_RESERVATION_CONFLICT, SENSE_KEY_ILLEGAL_REQUEST, SENSE_KEY_NOT_READY, SENSE_KEY_UNIT_ATTENTION } from "./protocol";
import type { ScsiCommand, ScsiReply, ScsiTransport } from "./reservations";

export type CommandRunner = (program: string, args: string[], signal: AbortSignal) => Promise<{ exitCode: number; stdout: string }>;

const reserveOutFlags: Record<number, string> = { 0x00: "--register", 0x01: "--reserve", 0x02: "--release", 0x03: "--clear", 0x04: "--preempt", 0x05: "--preempt-abort", 0x06: "--register-ignore" };

/** The sg_persist arguments for one PERSISTENT RESERVE IN/OUT command block. */
export function sgPersistArguments(command: ScsiCommand, device: string): string[] {
  const cdb = command.cdb;
  if (cdb[0] === 0x5e) {
    const action = cdb[1]! & 0x1f;
    if (action !== 0 && action !== 1) throw new EdgehaError("E_SCSI_DEVICE", `sg_persist transport: PERSISTENT RESERVE IN service action ${action} is not mapped`);
    return ["--no-inquiry", "--in", action === 0 ? "--read-keys" : "--read-reservation", device];
  }
  if (cdb[0] === 0x5f) {
    const flag = reserveOutFlags[cdb[1]! & 0x1f];
    const list = command.dataOut;
    if (!flag || !list || list.length !== 24) throw new EdgehaError("E_SCSI_DEVICE", "sg_persist transport: unsupported PERSISTENT RESERVE OUT command");
    const args = ["--no-inquiry", "--out", flag, `--param-rk=${list.readBigUInt64BE(0).toString(16)}`, `--param-sark=${list.readBigUInt64BE(8).toString(16)}`];
    if ((cdb[2]! & 0x0f) !== 0) args.push(`--prout-type=${cdb[2]! & 0x0f}`);
    return [...args, device];
  }
  throw new EdgehaError("E_SCSI_DEVICE", `sg_persist transport carries persistent reservation commands only, not opcode 0x${cdb[0]!.toString(16)}`);
}

/** sg_persist's READ KEYS text ("PR generation=0x2, 2 registered reservation keys follow: 0x.. 0x..") as reply bytes. */
export function readKeysReply(text: string): Buffer {
  const generation = Number(/PR generation=(0x[0-9a-f]+)/i.exec(text)?.[1] ?? "0");
  const keys = /NO registered reservation keys/i.test(text) ? [] : [...text.replace(/PR generation=0x[0-9a-f]+/i, "").matchAll(/0x([0-9a-f]{1,16})/gi)].map((match) => BigInt(`0x${match[1]}`));
  const reply = Buffer.alloc(8 + 8 * keys.length);
  reply.writeUInt32BE(generation, 0);
  reply.writeUInt32BE(8 * keys.length, 4);
  keys.forEach((key, index) => reply.writeBigUInt64BE(key, 8 + 8 * index));
  return reply;
}

const typeNames: Array<[RegExp, number]> = [
  [/exclusive access,\s*all registrants/i, 8], [/write exclusive,\s*all registrants/i, 7],
  [/exclusive access,\s*registrants only/i, 6], [/write exclusive,\s*registrants only/i, 5],
  [/exclusive access/i, 3], [/write exclusive/i, 1],
];

/** sg_persist's READ RESERVATION text ("Reservation follows: Key=0x.. scope: LU_SCOPE, type: ...") as reply bytes. */
export function readReservationReply(text: string): Buffer {
  const generation = Number(/PR generation=(0x[0-9a-f]+)/i.exec(text)?.[1] ?? "0");
  const key = /Key=0x([0-9a-f]{1,16})/i.exec(text)?.[1];
  if (!key || /NO reservation held/i.test(text)) {
    const none = Buffer.alloc(8);
    none.writeUInt32BE(generation, 0);
    return none;
  }
  const typeText = /type:\s*(.*)$/im.exec(text)?.[1] ?? "";
  const reply = Buffer.alloc(24);
  reply.writeUInt32BE(generation, 0);
  reply.writeUInt32BE(16, 4);
  reply.writeBigUInt64BE(BigInt(`0x${key}`), 8);
  reply[21] = typeNames.find(([pattern]) => pattern.test(typeText))?.[1] ?? 0;
  return reply;
}

function senseFor(key: number): Buffer {
  const sense = Buffer.alloc(18);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  return sense;
}

/** Maps sg3-utils exit statuses to a SCSI status; other failures are errors naming the device. */
export function replyForExit(exitCode: number, device: string): Omit<ScsiReply, "data"> {
  switch (exitCode) {
    case 0: return { status: STATUS_GOOD, sense: Buffer.alloc(0) };
    case 24: return { status: STATUS_RESERVATION_CONFLICT, sense: Buffer.alloc(0) };
    case 5: return { status: STATUS_CHECK_CONDITION, sense: senseFor(SENSE_KEY_ILLEGAL_REQUEST) };
    case 6: return { status: STATUS_CHECK_CONDITION, sense: senseFor(SENSE_KEY_UNIT_ATTENTION) };
    case 2: return { status: STATUS_CHECK_CONDITION, sense: senseFor(SENSE_KEY_NOT_READY) };
    case 15: throw new EdgehaError("E_SCSI_DEVICE", `sg_persist cannot open ${device}: check the path and that it is a SCSI disk or multipath device`);
    case 33: throw new EdgehaError("E_SCSI_COMMAND", `persistent reservation command on ${device} timed out`);
    default:
      // Newer sg3-utils report an operating system error as 50 + errno (e.g. 52: no such file).
      if (exitCode > 50 && exitCode < 99) throw new EdgehaError("E_SCSI_DEVICE", `sg_persist cannot open ${device} (errno ${exitCode - 50}): check the path and that it is a SCSI disk or multipath device`);
      throw new EdgehaError("E_SCSI_COMMAND", `sg_persist failed on ${device} with exit status ${exitCode}`);
  }
}

export const execRunner: CommandRunner = (program, args, signal) =>
  new Promise((resolve, reject) => {
    // The registry's sg_persist, or another build of it that a test or the configuration names.
    execFileProgram(program === "sg_persist" ? "sg_persist" : { program: "sg_persist", path: program }, args, { signal, encoding: "utf8", maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return reject(new EdgehaError("E_SCSI_DEVICE", `${program} is not installed (Debian package sg3-utils)`));
      if (error && signal.aborted) return reject(new EdgehaError("E_SCSI_COMMAND", `${program} did not finish in time`));
      const exitCode = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 99) : 0;
      resolve({ exitCode, stdout });
    });
  });

export class SgPersistTransport implements ScsiTransport {
  constructor(readonly name: string, private readonly runner: CommandRunner = execRunner, private readonly program = "sg_persist") {
    if (!/^\/dev\/(sd[a-z]+|mapper\/[^/\s]+|disk\/by-id\/[^/\s]+|dm-\d+|sg\d+)$/.test(name)) {
      throw new EdgehaError("E_SCSI_DEVICE", `"${name}" is not a device path the scsi driver accepts (/dev/sd*, /dev/mapper/*, /dev/disk/by-id/*)`);
    }
  }

  async execute(command: ScsiCommand, signal: AbortSignal): Promise<ScsiReply> {
    const { exitCode, stdout } = await this.runner(this.program, sgPersistArguments(command, this.name), signal);
    const reply = replyForExit(exitCode, this.name);
    if (reply.status !== STATUS_GOOD || command.cdb[0] !== 0x5e) return { ...reply, data: Buffer.alloc(0) };
    return { ...reply, data: (command.cdb[1]! & 0x1f) === 0 ? readKeysReply(stdout) : readReservationReply(stdout) };
  }

  async close(): Promise<void> {}
}
