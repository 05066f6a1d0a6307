// The watchdog device, as Linux's watchdog API defines it: opening /dev/watchdogN starts
// it, every write feeds it, writing "V" just before closing disarms it (magic close, unless
// the driver was loaded with nowayout), and a close without "V" leaves it running, so the
// machine resets when its timeout passes. Any driver works (softdog, iTCO_wdt, ipmi_watchdog,
// a board's own). Its timeout is read from sysfs (/sys/dev/char/MAJOR:MINOR/timeout); Node has
// no ioctl(), so a different timeout is set with util-linux's `wdctl --settimeout` before the
// device is opened, where the driver allows it, and read back.
//
// The testbed's stand-in (test/support/watchdog-standin.mjs) is a FIFO instead of a character
// device, with the same write protocol; its timeout sits in the file PATH.timeout, the
// stand-in's sysfs. It powers the testbed machine off when it is not fed in time. Tests never
// open this machine's own watchdog.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync, constants } from "node:fs";
import { EdgehaError } from "../common/errors";

export interface WatchdogDevice {
  readonly path: string;
  /** The device's timeout as it reports it. */
  readonly timeoutMs: number;
  feed(): void;
  /** disarm: magic close (a clean stop); otherwise the watchdog keeps running and resets the machine. */
  close(disarm: boolean): void;
}

/** Linux's encoding of a device number (new_decode_dev). */
function majorMinor(rdev: number): [number, number] {
  const major = ((rdev >> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
  return [major, minor];
}

function readSeconds(file: string): number | undefined {
  try {
    const value = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Where the device says its timeout: sysfs for a character device, PATH.timeout for the stand-in. */
export function timeoutFile(path: string): string {
  const stat = statSync(path);
  if (stat.isCharacterDevice()) {
    const [major, minor] = majorMinor(stat.rdev);
    return `/sys/dev/char/${major}:${minor}/timeout`;
  }
  return `${path}.timeout`;
}

/**
 * Opens the watchdog (which starts it). `setTimeout(seconds)` is called first when the device
 * reports a different timeout than wanted (the agent runs wdctl there); the timeout in force is
 * whatever the device reports afterwards.
 */
export async function openWatchdog(path: string, wantedSeconds: number | undefined, setTimeout?: (seconds: number) => Promise<void>): Promise<WatchdogDevice> {
  if (!existsSync(path)) throw new EdgehaError("E_WATCHDOG", `watchdog device ${path} does not exist (load a watchdog driver, softdog at least, or fix watchdog.device)`);
  const stat = statSync(path);
  if (!stat.isCharacterDevice() && !stat.isFIFO()) throw new EdgehaError("E_WATCHDOG", `${path} is not a watchdog device (neither a character device nor the testbed's stand-in)`);
  const file = timeoutFile(path);
  let seconds = readSeconds(file);
  if (wantedSeconds !== undefined && seconds !== wantedSeconds && setTimeout) {
    await setTimeout(wantedSeconds);
    seconds = readSeconds(file);
  }
  if (seconds === undefined) throw new EdgehaError("E_WATCHDOG", `cannot read the timeout of watchdog ${path} from ${file}`);
  let fd: number;
  try {
    // The stand-in's FIFO must have its reader: non-blocking, a missing reader is ENXIO at once.
    fd = openSync(path, constants.O_WRONLY | (stat.isFIFO() ? constants.O_NONBLOCK : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const why = code === "EBUSY" ? "another program holds it (sbd, watchdog, wdmd, systemd's RuntimeWatchdogSec)" : code === "ENXIO" ? "nothing watches it" : code;
    throw new EdgehaError("E_WATCHDOG", `cannot open watchdog ${path}: ${why}`);
  }
  const feedByte = Buffer.from([0]);
  let open = true;
  return {
    path,
    timeoutMs: seconds * 1000,
    feed() {
      if (open) writeSync(fd, feedByte);
    },
    close(disarm) {
      if (!open) return;
      open = false;
      try {
        if (disarm) writeSync(fd, "V");
      } finally {
        closeSync(fd);
      }
    },
  };
}
