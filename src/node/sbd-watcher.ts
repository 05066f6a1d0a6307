// The node side of the shared-disk poison pill (issue 17, point 5), with sbd's rules (its
// "servant" of a disk, src/sbd-md.c): for every disk of watchdog.sbd_devices the node takes
// its slot (allocating the first free one under its node name, as sbd does), then every loop
// timeout of the disk's header reads the header, its slot and its mailbox:
//   reset, off, crashdump  self-fence: the agent stops feeding its watchdog for good, so the
//                          machine resets within the watchdog's timeout; the sender waits
//                          msgwait, which must cover one loop plus that timeout (checked at start);
//   test                   logged and cleared (what `sbd message NODE test` expects);
//   exit                   logged once and left (sbd stops itself on it; the agent stops only
//                          when asked by its service manager);
//   an unknown command     logged and cleared (a torn write, as sbd treats it).
// At start the mailbox is cleared (sbd's "first servant start - zeroing inbox"); with
// sbd_start_mode "clean" (sbd's SBD_STARTMODE=clean) a fencing message found there refuses the
// start instead, so a fenced node does not rejoin until a person clears it. A disk that cannot
// be read is logged (once per change) and retried every loop; the feeding then follows the
// watchdog's other rules (quorum, failed stops), as sbd's pacemaker integration does.
import type { Logger } from "pino";
import { EdgehaError } from "../common/errors";
import { openIscsiDevice, openLocalDevice, SbdDisk, type SectorDevice } from "../../fence-drivers/sbd/disk";
import { sameName, type SbdHeader, type SbdMailbox } from "../../fence-drivers/sbd/format";

export type SbdReaction =
  | { kind: "none" }
  | { kind: "self-fence"; why: string }
  | { kind: "clear"; why: string }
  | { kind: "note"; why: string };

/** What a node does with the message in its own mailbox (sbd's servant). Pure. */
export function reactToMailbox(mailbox: SbdMailbox, where: string): SbdReaction {
  const from = mailbox.from === "" ? "an unnamed sender" : mailbox.from;
  switch (mailbox.message) {
    case "clear": return { kind: "none" };
    case "reset":
    case "off":
    case "crashdump": return { kind: "self-fence", why: `sbd: "${mailbox.message}" from ${from} on ${where}` };
    case "test": return { kind: "clear", why: `sbd: test message from ${from} on ${where}` };
    case "exit": return { kind: "note", why: `sbd: "exit" from ${from} on ${where} (edgeha keeps running; stop its service to stop it)` };
    default: return { kind: "clear", why: `sbd: an unknown command in this node's mailbox on ${where} (a torn write?); cleared` };
  }
}

export interface SbdWatchOptions {
  /** This node's name: its slot's name on every disk. */
  node: string;
  devices: readonly string[];
  startMode: "always" | "clean";
  logger: Logger;
  /** Called once, on the first fencing message: stop feeding the watchdog for good. */
  selfFence: (why: string) => void;
  /** How a device is opened (tests give files); iscsi:// URLs and /dev paths by default. */
  open?: (device: string, signal: AbortSignal) => Promise<SectorDevice>;
  /** The time between two reads of a mailbox; the header's loop timeout by default. */
  loopMs?: number;
  /** The slot this node takes when it is free (its node id - 1): nodes starting together then do not race for one. */
  preferredSlot?: number;
}

const START_TIMEOUT_MS = 10_000;

async function openDevice(device: string, node: string, signal: AbortSignal): Promise<SectorDevice> {
  if (device.startsWith("iscsi://")) return openIscsiDevice(device, `iqn.2026-11.io.edgeha:${node}`, signal);
  return openLocalDevice(device);
}

interface Watched { where: string; disk: SbdDisk; header: SbdHeader; slot: number; healthy: boolean; noted: string }

export class SbdWatcher {
  private timers = new Set<NodeJS.Timeout>();
  private fenced = false;
  private stopped = false;

  private constructor(private readonly options: SbdWatchOptions, private readonly watched: Watched[], readonly header: SbdHeader) {}

  /** The header's timeouts (the same on every disk, as sbd requires). */
  get loopMs(): number {
    return this.options.loopMs ?? this.header.timeoutLoopSeconds * 1000;
  }

  get msgwaitMs(): number {
    return this.header.timeoutMsgwaitSeconds * 1000;
  }

  /** Opens every disk, takes this node's slot, clears (or, start mode clean, refuses) what waits there. */
  static async start(options: SbdWatchOptions): Promise<SbdWatcher> {
    const signal = AbortSignal.timeout(START_TIMEOUT_MS);
    const watched: Watched[] = [];
    try {
      for (const device of options.devices) {
        const sector = await (options.open ? options.open(device, signal) : openDevice(device, options.node, signal));
        const disk = new SbdDisk(sector);
        watched.push({ where: device, disk, header: await disk.header(signal), slot: -1, healthy: true, noted: "" });
        const entry = watched.at(-1)!;
        const first = watched[0]!.header;
        for (const key of ["timeoutWatchdogSeconds", "timeoutLoopSeconds", "timeoutMsgwaitSeconds"] as const) {
          if (entry.header[key] !== first[key]) throw new EdgehaError("E_FENCE_SBD", `the sbd disks disagree: ${key} is ${first[key]} on ${watched[0]!.where} but ${entry.header[key]} on ${device} (sbd needs the same timeouts on every disk)`);
        }
        entry.slot = await disk.allocate(options.node, signal, options.preferredSlot);
        const waiting = await disk.read(entry.slot, signal);
        if (waiting.message !== "clear" && waiting.message !== "exit") {
          const what = `"${waiting.message}" from ${waiting.from || "an unnamed sender"} waits in ${options.node}'s slot ${entry.slot} on ${device}`;
          if (options.startMode === "clean") {
            throw new EdgehaError("E_FENCE_SBD", `${what}: this node was fenced and sbd_start_mode is clean, so it does not start until a person has checked it and cleared the slot (sbd -d ${device} message ${options.node} clear)`);
          }
          options.logger.warn({ device, slot: entry.slot }, `${what}; cleared at start (sbd_start_mode always)`);
        }
        await disk.message(options.node, "clear", "", signal);
        // Another node racing for the same free slot may have written its name over ours after we
        // read it back: the slot this node watches must still carry its name.
        const owned = await disk.lookup(options.node, signal);
        if (owned !== entry.slot) throw new EdgehaError("E_FENCE_SBD", `${device}: ${options.node}'s sbd slot ${entry.slot} was taken by another node starting at the same time; start again (it then takes a free slot)`);
        options.logger.info({ device, slot: entry.slot, loopS: entry.header.timeoutLoopSeconds, msgwaitS: entry.header.timeoutMsgwaitSeconds }, "watching this node's sbd slot");
      }
    } catch (error) {
      for (const entry of watched) await entry.disk.device.close().catch(() => {});
      throw error;
    }
    const watcher = new SbdWatcher(options, watched, watched[0]!.header);
    for (const entry of watched) watcher.schedule(entry);
    return watcher;
  }

  private schedule(entry: Watched): void {
    if (this.stopped || this.fenced) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.check(entry).finally(() => this.schedule(entry));
    }, this.loopMs);
    this.timers.add(timer);
  }

  /** One round of sbd's servant loop for one disk. */
  private async check(entry: Watched): Promise<void> {
    const signal = AbortSignal.timeout(Math.max(this.loopMs, 5000));
    let mailbox: SbdMailbox;
    try {
      const header = await entry.disk.header(signal);
      if (header.uuid !== entry.header.uuid || header.timeoutMsgwaitSeconds !== entry.header.timeoutMsgwaitSeconds) throw new EdgehaError("E_FENCE_SBD", `the sbd header of ${entry.where} changed since the start (uuid ${header.uuid}, msgwait ${header.timeoutMsgwaitSeconds} s)`);
      const own = await entry.disk.readSlot(entry.slot, signal);
      if (!own.slot.inUse || !sameName(own.slot.name, this.options.node)) throw new EdgehaError("E_FENCE_SBD", `slot ${entry.slot} of ${entry.where} no longer belongs to ${this.options.node}`);
      mailbox = own.mailbox;
    } catch (error) {
      if (this.stopped) return;
      if (entry.healthy) this.options.logger.error({ device: entry.where, error: error instanceof Error ? error.message : String(error) }, "cannot read this node's sbd slot; retrying every loop (the watchdog's other rules still hold)");
      entry.healthy = false;
      return;
    }
    if (!entry.healthy) this.options.logger.info({ device: entry.where }, "this node's sbd slot is readable again");
    entry.healthy = true;
    if (this.stopped || this.fenced) return;
    const reaction = reactToMailbox(mailbox, entry.where);
    switch (reaction.kind) {
      case "none": return;
      case "self-fence":
        this.fenced = true;
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
        this.options.selfFence(reaction.why);
        return;
      case "clear":
        this.options.logger.warn({ device: entry.where, slot: entry.slot }, reaction.why);
        try {
          await entry.disk.message(this.options.node, "clear", "", signal);
        } catch (error) {
          this.options.logger.error({ device: entry.where, error: error instanceof Error ? error.message : String(error) }, "cannot clear this node's sbd slot");
        }
        return;
      case "note":
        if (entry.noted !== reaction.why) this.options.logger.warn({ device: entry.where, slot: entry.slot }, reaction.why);
        entry.noted = reaction.why;
        return;
    }
  }

  /** True once a fencing message was read (the watchdog is starving). */
  get selfFenced(): boolean {
    return this.fenced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const entry of this.watched) await entry.disk.device.close().catch(() => {});
  }
}
