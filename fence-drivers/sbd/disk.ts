// An sbd disk (format.ts) on a shared LUN: the header, the slots and their mailboxes, read
// and written a sector at a time. Two ways to the LUN:
//   - iscsi://HOST:PORT/TARGET-IQN/LUN: edgeha's own iSCSI initiator (READ(10)/WRITE(10)),
//     which keeps no cache, so every node reads what the others wrote;
//   - a Linux block device (/dev/...): every read and write with direct I/O (O_DIRECT, as sbd
//     does), through coreutils' dd: Node cannot align its buffers as O_DIRECT wants. Buffered
//     I/O would be wrong on a LUN other machines write: reads would keep returning the page
//     cache's stale copy (a poison pill never seen), and a 512-byte write would rewrite its
//     whole 4 KiB page from that copy (clearing the neighbouring slots' messages);
//   - a regular file (tests only): plain reads and writes.
import { closeSync, openSync, readSync, statSync, writeSync, fsyncSync, readFileSync } from "node:fs";
import { EdgehaError } from "../../src/common/errors";
import { spawnProgram } from "../../src/common/spawn";
import { parseDevice } from "../scsi/index";
import { openIscsiSession, type IscsiSession } from "../scsi/iscsi";
import { executeRetrying } from "../scsi/reservations";
import {
  decodeHeader, decodeMailbox, decodeSlot, encodeMailbox, encodeSlot, mailboxSector, sameName, slotSector,
  type SbdHeader, type SbdMailbox, type SbdMessage, type SbdSlot,
} from "./format";

export interface SectorDevice {
  readonly where: string;
  readonly sectorSize: number;
  read(first: number, count: number, signal: AbortSignal): Promise<Buffer>;
  write(first: number, data: Buffer, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

const GOOD = 0;

function lbaCdb(opcode: number, first: number, count: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = opcode;
  cdb.writeUInt32BE(first, 2);
  cdb.writeUInt16BE(count, 7);
  return cdb;
}

/** A LUN through edgeha's iSCSI initiator. sbd disks use 512-byte sectors on such LUNs. */
export async function openIscsiDevice(url: string, initiatorName: string, signal: AbortSignal): Promise<SectorDevice> {
  const target = parseDevice(url);
  const session: IscsiSession = await openIscsiSession({ ...target, initiatorName }, signal);
  const sectorSize = 512;
  const check = (status: number, what: string) => {
    if (status !== GOOD) throw new EdgehaError("E_FENCE_SBD", `${url}: ${what} ended with SCSI status 0x${status.toString(16)}`);
  };
  return {
    where: url,
    sectorSize,
    async read(first, count, readSignal) {
      // The first command of a session meets the LUN's unit attention (power on, reset): retried.
      const reply = await executeRetrying(session, { cdb: lbaCdb(0x28, first, count), dataInLength: count * sectorSize }, "read", readSignal);
      check(reply.status, `READ(10) of sectors ${first}..${first + count - 1}`);
      if (reply.data.length !== count * sectorSize) throw new EdgehaError("E_FENCE_SBD", `${url}: READ(10) returned ${reply.data.length} of ${count * sectorSize} bytes`);
      return reply.data;
    },
    async write(first, data, writeSignal) {
      const reply = await executeRetrying(session, { cdb: lbaCdb(0x2a, first, data.length / sectorSize), dataOut: data }, "write", writeSignal);
      check(reply.status, `WRITE(10) of sector ${first}`);
    },
    close: () => session.close(),
  };
}

/** Runs dd (bounded: 10 s, its output at most the sectors asked for); resolves with its stdout. */
function dd(args: string[], input: Buffer | undefined, expectBytes: number, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnProgram("dd", [...args, "status=none"], { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= expectBytes) chunks.push(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => { if (stderr.length < 4096) stderr += chunk.toString("utf8"); });
    child.on("error", (error) => { clearTimeout(timer); reject(new EdgehaError("E_FENCE_SBD", `${where}: cannot run dd (${error.message})`)); });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new EdgehaError("E_FENCE_SBD", `${where}: direct I/O failed (dd ${signal ? `killed by ${signal}` : `exit ${code}`}${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""})`));
    });
    if (input) child.stdin!.end(input);
  });
}

/** A local block device (direct I/O through dd) or a regular file; its logical sector size from sysfs, else 512. */
export function openLocalDevice(path: string): SectorDevice {
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (error) {
    throw new EdgehaError("E_FENCE_SBD", `cannot open sbd device ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let sectorSize = 512;
  const stat = statSync(path);
  if (stat.isBlockDevice()) {
    const major = (stat.rdev >> 8) & 0xfff;
    const minor = (stat.rdev & 0xff) | ((stat.rdev >> 12) & ~0xff);
    try { sectorSize = Number(readFileSync(`/sys/dev/block/${major}:${minor}/queue/logical_block_size`, "utf8").trim()) || 512; } catch { /* 512 */ }
  }
  if (stat.isBlockDevice()) {
    closeSync(fd);
    return {
      where: path,
      sectorSize,
      async read(first, count) {
        const data = await dd([`if=${path}`, `bs=${sectorSize}`, `skip=${first}`, `count=${count}`, "iflag=direct"], undefined, count * sectorSize, path);
        if (data.length !== count * sectorSize) throw new EdgehaError("E_FENCE_SBD", `${path}: short read at sector ${first}`);
        return data;
      },
      async write(first, data) {
        await dd([`of=${path}`, `bs=${sectorSize}`, `seek=${first}`, `count=${data.length / sectorSize}`, "oflag=direct", "conv=notrunc", "iflag=fullblock"], data, 0, path);
      },
      async close() {},
    };
  }
  return {
    where: path,
    sectorSize,
    async read(first, count) {
      const buffer = Buffer.alloc(count * sectorSize);
      const got = readSync(fd, buffer, 0, buffer.length, first * sectorSize);
      if (got !== buffer.length) throw new EdgehaError("E_FENCE_SBD", `${path}: short read at sector ${first}`);
      return buffer;
    },
    async write(first, data) {
      writeSync(fd, data, 0, data.length, first * sectorSize);
      fsyncSync(fd);
    },
    async close() { closeSync(fd); },
  };
}

export interface SbdSlotView { slot: number; name: string; message: SbdMailbox["message"]; from: string }

export class SbdDisk {
  private cachedHeader: SbdHeader | undefined;

  constructor(readonly device: SectorDevice) {}

  async header(signal: AbortSignal): Promise<SbdHeader> {
    const header = decodeHeader(await this.device.read(0, 1, signal), this.device.where);
    if (header.sectorSize !== this.device.sectorSize) throw new EdgehaError("E_FENCE_SBD", `${this.device.where}: the sbd header says ${header.sectorSize}-byte sectors, the device has ${this.device.sectorSize}`);
    this.cachedHeader = header;
    return header;
  }

  /** Every slot in use with its mailbox, read in one request (what `sbd list` prints). */
  async list(signal: AbortSignal): Promise<SbdSlotView[]> {
    const header = this.cachedHeader ?? (await this.header(signal));
    const size = this.device.sectorSize;
    const area = await this.device.read(1, header.slots * 2, signal);
    const views: SbdSlotView[] = [];
    for (let slot = 0; slot < header.slots; slot++) {
      const node = decodeSlot(area.subarray((slotSector(slot) - 1) * size, (slotSector(slot)) * size));
      if (!node.inUse) continue;
      const mailbox = decodeMailbox(area.subarray((mailboxSector(slot) - 1) * size, mailboxSector(slot) * size));
      views.push({ slot, name: node.name, message: mailbox.message, from: mailbox.from });
    }
    return views;
  }

  async lookup(name: string, signal: AbortSignal): Promise<number | undefined> {
    return (await this.list(signal)).find((view) => sameName(view.name, name))?.slot;
  }

  /**
   * The node's slot, allocating one when it has none: `preferred` (the node's own index, so that
   * nodes starting together do not race for one slot) when it is free, else the first free one
   * (as sbd allocate does).
   */
  async allocate(name: string, signal: AbortSignal, preferred?: number): Promise<number> {
    const found = await this.lookup(name, signal);
    if (found !== undefined) return found;
    const header = this.cachedHeader ?? (await this.header(signal));
    const used = new Set((await this.list(signal)).map((view) => view.slot));
    const order = [...Array(header.slots).keys()];
    if (preferred !== undefined && preferred >= 0 && preferred < header.slots) order.unshift(preferred);
    for (const slot of order) {
      if (used.has(slot)) continue;
      await this.device.write(slotSector(slot), encodeSlot({ inUse: true, name }, this.device.sectorSize), signal);
      await this.device.write(mailboxSector(slot), encodeMailbox({ message: "clear", from: "" }, this.device.sectorSize), signal);
      // Two nodes racing for one slot: the one whose name stayed owns it; the other tries again.
      const owner = decodeSlot(await this.device.read(slotSector(slot), 1, signal));
      if (sameName(owner.name, name)) return slot;
      return this.allocate(name, signal, preferred);
    }
    throw new EdgehaError("E_FENCE_SBD", `${this.device.where}: no free sbd slot for ${name}`);
  }

  /** Writes a message into a node's mailbox and reads it back. */
  async message(name: string, message: SbdMessage, from: string, signal: AbortSignal): Promise<void> {
    const slot = await this.lookup(name, signal);
    if (slot === undefined) throw new EdgehaError("E_FENCE_SBD", `${this.device.where}: ${name} has no sbd slot (the node allocates one when it starts watching the disk; sbd -d DEVICE allocate ${name})`);
    const sector = encodeMailbox({ message, from }, this.device.sectorSize);
    await this.device.write(mailboxSector(slot), sector, signal);
    const back = await this.device.read(mailboxSector(slot), 1, signal);
    if (!back.equals(sector)) throw new EdgehaError("E_FENCE_SBD", `${this.device.where}: the message to ${name} did not read back as written`);
  }

  /** A slot and its mailbox, read in one request (the two sectors are adjacent). */
  async readSlot(slot: number, signal: AbortSignal): Promise<{ slot: SbdSlot; mailbox: SbdMailbox }> {
    const size = this.device.sectorSize;
    const both = await this.device.read(slotSector(slot), 2, signal);
    return { slot: decodeSlot(both.subarray(0, size)), mailbox: decodeMailbox(both.subarray(size, 2 * size)) };
  }

  /** The message in a node's own mailbox. */
  async read(slot: number, signal: AbortSignal): Promise<SbdMailbox> {
    return decodeMailbox(await this.device.read(mailboxSector(slot), 1, signal));
  }
}
