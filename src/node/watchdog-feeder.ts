// Feeds the watchdog while this node is healthy (sbd's rules, src/fencer/watchdog.ts):
// every third of the timeout, from the event loop, so a blocked loop stops the feeding too.
// When the node is unhealthy it stops feeding and the watchdog resets the machine within its
// timeout. A clean stop of the agent disarms it (magic close); a crash leaves it armed.
import type { Logger } from "pino";
import type { WatchdogConfig } from "../config/index";
import { mayFeedWatchdog, WATCHDOG_ATTRIBUTE, type WatchdogHealth } from "../fencer/index";
import { execFileProgram } from "../common/spawn";
import { openWatchdog, type WatchdogDevice } from "./watchdog-device";

export class WatchdogFeeder {
  private timer: NodeJS.Timeout | undefined;
  private starving: string | undefined;
  /** Set by starve(): the feeding never resumes (an sbd poison pill read, a fatal stall). */
  private forGood: string | undefined;

  constructor(private readonly device: WatchdogDevice, private readonly health: () => WatchdogHealth, private readonly logger: Logger) {}

  /** Feeds once at once, then every third of the timeout. */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(this.device.timeoutMs / 3)));
  }

  /** The watchdog's timeout as the device reports it. */
  get timeoutMs(): number {
    return this.device.timeoutMs;
  }

  /** True while the feeder has stopped feeding (the machine is about to reset). */
  get stopped(): boolean {
    return this.starving !== undefined;
  }

  /** Stops feeding for good, at once: the machine resets within the watchdog's timeout. */
  starve(reason: string): void {
    if (this.forGood !== undefined) return;
    this.forGood = reason;
    this.tick();
  }

  private tick(): void {
    const decision = this.forGood !== undefined ? { feed: false, reason: this.forGood } : mayFeedWatchdog(this.health());
    if (decision.feed) {
      if (this.starving !== undefined) this.logger.warn({ device: this.device.path }, "healthy again; the watchdog is fed again");
      this.starving = undefined;
      this.device.feed();
      return;
    }
    if (this.starving === undefined) {
      // Written before the reset cuts everything short: the last line of this node's log says why.
      this.logger.error({ device: this.device.path, reason: decision.reason, timeoutMs: this.device.timeoutMs }, "no longer feeding the watchdog: this machine resets within its timeout");
      this.logger.flush?.();
    }
    this.starving = decision.reason;
  }

  /** A clean stop disarms the watchdog; anything else leaves it to reset the machine. */
  stop(disarm: boolean): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.device.close(disarm && this.starving === undefined);
  }
}

/**
 * Opens the configured watchdog (setting its timeout with wdctl where it differs), starts
 * feeding it, and publishes its timeout as the node attribute the fencer's watchdog level
 * reads. A watchdog that cannot be opened ends the agent's start with E_WATCHDOG: a node
 * configured for watchdog fencing must never run without it.
 */
export async function startWatchdog(config: WatchdogConfig, health: () => WatchdogHealth, publish: (name: string, value: string) => void, logger: Logger): Promise<WatchdogFeeder> {
  // wdctl opens and closes the device itself (with the magic close); only then is it opened here.
  const device = await openWatchdog(config.device, config.timeoutSeconds, (seconds) => new Promise<void>((resolve) => {
    execFileProgram("wdctl", ["--settimeout", String(seconds), config.device], { encoding: "utf8", timeout: 5000 }, (error) => {
      if (error) logger.warn({ device: config.device, error: error.message }, "wdctl could not set the watchdog timeout; the driver's stays");
      resolve();
    });
  }));
  const feeder = new WatchdogFeeder(device, health, logger);
  feeder.start();
  publish(WATCHDOG_ATTRIBUTE, String(device.timeoutMs));
  logger.info({ device: device.path, timeoutMs: device.timeoutMs }, "feeding the watchdog while this node is healthy");
  return feeder;
}
