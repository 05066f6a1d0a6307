// Power actions through IPMI Chassis commands (Get Chassis Status, Chassis Control), the same
// over any IPMI transport: LAN (ipmilan) or a serial line (ipmi-serial). Off and on are
// confirmed by reading the state until it changes, as fence_ipmilan does.
import type { FenceAction, FenceOptions, FenceResult } from "../types";

/** One IPMI request over some transport; returns the response data after the completion code. */
export type IpmiRequest = (netFn: number, command: number, data: Buffer, signal: AbortSignal) => Promise<Buffer>;

const CHASSIS = { netFn: 0x00, status: 0x01, control: 0x02 } as const;
const CONTROL = { off: 0x00, on: 0x01, cycle: 0x02 } as const;

/**
 * The waits between status reads after a power change, then the last one again: soon at first
 * (a BMC that switched within a few tens of ms is seen so; a fencing waits for that read), then
 * backing off to one read per 250 ms. One Get Chassis Status each, which BMCs answer at once
 * (fence_ipmilan reads once a second through ipmitool, each read a new session).
 */
export const STATUS_POLL_MS: readonly number[] = [50, 100, 200, 250];

export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** status, monitor, on, off and reboot (method=cycle or off then on, onOff called between); `driver` names it in errors. */
export async function chassisAction(request: IpmiRequest, action: FenceAction, options: FenceOptions, signal: AbortSignal, driver: string, onOff?: () => void): Promise<FenceResult> {
  const powerState = async (): Promise<"on" | "off"> => ((await request(CHASSIS.netFn, CHASSIS.status, Buffer.alloc(0), signal))[0]! & 1 ? "on" : "off");
  const waitFor = async (want: "on" | "off"): Promise<boolean> => {
    const deadline = Date.now() + Number(options.power_timeout ?? "20") * 1000;
    for (let reads = 0; ; reads++) {
      if ((await powerState()) === want) return true;
      if (Date.now() >= deadline || signal.aborted) return false;
      await sleep(STATUS_POLL_MS[Math.min(reads, STATUS_POLL_MS.length - 1)]!, signal);
    }
  };
  const set = async (want: "on" | "off"): Promise<FenceResult> => {
    if ((await powerState()) !== want) await request(CHASSIS.netFn, CHASSIS.control, Buffer.from([CONTROL[want]]), signal);
    if (Number(options.power_wait ?? "0") > 0) await sleep(Number(options.power_wait) * 1000, signal);
    return (await waitFor(want)) ? { exitCode: 0, state: want, message: `Powered ${want.toUpperCase()}` } : { exitCode: 1, message: `power did not become ${want} within power_timeout` };
  };
  if (action === "status" || action === "monitor") {
    const state = await powerState();
    return { exitCode: action === "status" && state === "off" ? 2 : 0, state, message: `Status: ${state.toUpperCase()}` };
  }
  if (action === "off" || action === "on") return await set(action);
  if (action === "reboot") {
    if (options.method === "cycle") {
      await request(CHASSIS.netFn, CHASSIS.control, Buffer.from([CONTROL.cycle]), signal);
      return { exitCode: 0, state: "on", message: "Power cycled" };
    }
    const off = await set("off");
    if (off.exitCode !== 0) return off;
    onOff?.();
    return await set("on");
  }
  return { exitCode: 1, message: `action ${action} is not supported by ${driver}` };
}
