// fence driver "sbd": the shared-disk poison pill. off and reboot write "off" or "reset" into
// the target's mailbox on every sbd disk (sbd's layout, format.ts), then wait msgwait (from
// the disk's header): a node that watches its slot reads the message within sbd's loop
// timeout and resets through its watchdog, which msgwait (twice the watchdog timeout) covers.
// Devices are iscsi://HOST:PORT/TARGET-IQN/LUN (edgeha's initiator) or /dev/... paths.
import { EdgehaError } from "../../src/common/errors";
import type { FenceDriver, FenceDriverMetadata, FenceResult } from "../types";
import { openIscsiDevice, openLocalDevice, SbdDisk, type SectorDevice } from "./disk";

export const sbdMetadata: FenceDriverMetadata = {
  name: "fence_sbd",
  shortDescription: "Fence agent for sbd shared disks (poison pill), built into edgeha",
  longDescription: "Writes reset or off into the target node's slot on one or more sbd disks (the layout of sbd, so sbd and edgeha share a disk), then waits msgwait. The target resets itself through its watchdog when it reads the message.",
  parameters: [
    { name: "devices", flags: ["--devices"], type: "string", required: true, description: "Comma-separated sbd disks: iscsi://HOST:PORT/TARGET-IQN/LUN or /dev/... paths." },
    { name: "plug", aliases: ["port"], flags: ["-n", "--plug"], type: "string", description: "The node to fence (its slot name)." },
    { name: "local_node", type: "string", description: "The sender's name in the message (the node running the device)." },
    { name: "initiator_prefix", type: "string", default: "iqn.2026-11.io.edgeha", description: "iSCSI initiator names are PREFIX:NODE." },
  ],
  actions: ["off", "reboot", "status", "monitor", "list", "metadata", "validate-all"],
};

async function open(device: string, node: string, prefix: string, signal: AbortSignal): Promise<SectorDevice> {
  if (device.startsWith("iscsi://")) return openIscsiDevice(device, `${prefix}:${node}`, signal);
  if (device.startsWith("/")) return openLocalDevice(device);
  throw new EdgehaError("E_FENCE_OPTION", `fence_sbd: device "${device}" is neither iscsi://HOST:PORT/TARGET-IQN/LUN nor a /dev path`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new EdgehaError("E_FENCE_TIMEOUT", "the fence action's time ran out while waiting msgwait")); };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const sbdDriver: FenceDriver = {
  metadata: sbdMetadata,
  async run(action, options, context): Promise<FenceResult> {
    const devices = (options.devices ?? "").split(",").map((item) => item.trim()).filter(Boolean);
    if (devices.length === 0) throw new EdgehaError("E_FENCE_OPTION", "fence_sbd needs devices");
    const target = options.plug ?? options.port;
    const self = options.local_node ?? "edgeha";
    if (action === "validate-all") return { exitCode: 0, message: "parameters are valid" };
    if ((action === "off" || action === "reboot" || action === "status") && !target) throw new EdgehaError("E_FENCE_OPTION", `fence_sbd ${action} needs plug (the node to fence)`);
    const opened: SectorDevice[] = [];
    try {
      const disks: SbdDisk[] = [];
      for (const device of devices) {
        const sector = await open(device, self, options.initiator_prefix ?? "iqn.2026-11.io.edgeha", context.signal);
        opened.push(sector);
        disks.push(new SbdDisk(sector));
      }
      const headers = await Promise.all(disks.map((disk) => disk.header(context.signal)));
      switch (action) {
        case "monitor": return { exitCode: 0, message: `${devices.length} sbd disk(s) readable` };
        case "list": return { exitCode: 0, targets: (await disks[0]!.list(context.signal)).map((view) => ({ plug: view.name })), message: "" };
        case "status": {
          const slot = await disks[0]!.lookup(target!, context.signal);
          if (slot === undefined) return { exitCode: 1, message: `${target} has no slot on ${devices[0]}` };
          return { exitCode: 0, state: "unknown", message: `${target} owns slot ${slot}` };
        }
        case "off":
        case "reboot": {
          for (const disk of disks) await disk.message(target!, action === "off" ? "off" : "reset", self, context.signal);
          const msgwaitMs = Math.max(...headers.map((header) => header.timeoutMsgwaitSeconds)) * 1000;
          context.debug(`wrote ${action === "off" ? "off" : "reset"} for ${target}; waiting msgwait ${msgwaitMs} ms`);
          await sleep(msgwaitMs, context.signal);
          return { exitCode: 0, state: action === "off" ? "off" : "on", message: `${target} was sent ${action === "off" ? "off" : "reset"} and msgwait (${msgwaitMs / 1000} s) passed` };
        }
        default: throw new EdgehaError("E_FENCE_OPTION", `fence_sbd does not support action "${action}"`);
      }
    } finally {
      for (const device of opened) await device.close();
    }
  },
};
