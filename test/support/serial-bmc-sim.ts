// OpenIPMI's ipmi_sim with a serial interface in one codec (Direct = Basic Mode,
// TerminalMode), bridged to a pty by socat, plus a LAN channel so ipmitool can
// read the power state independently. ipmi_sim 2.0.33 parses and executes serial
// requests but never sends the answers (see ../shared/reference/ipmi-serial.md),
// so it is an independent check of the requests we frame, and a real silent peer.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnIpmiSim } from "./ipmi/sim";

export interface SerialSim {
  /** The pty a client opens. */
  tty: string;
  power(): "on" | "off";
  /** Chassis commands ipmi_sim executed, "power 0" / "power 1" ... */
  events(): string[];
  /** The power state as ipmitool reads it over lanplus (cipher suite 3). */
  ipmitoolPower(): "on" | "off" | "unknown";
  stop(): void;
}


const USER = "serialadmin";

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.pid) try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ }
}

/** Starts ipmi_sim (LAN on lanPort, serial TCP on lanPort + 1) and the socat pty bridge. */
export async function startSerialSim(codec: "Direct" | "TerminalMode", lanPort: number): Promise<SerialSim> {
  const dir = mkdtempSync(join(tmpdir(), "eh-serial-sim-"));
  const password = `sim-${process.pid}-pw`;
  const sim = spawnIpmiSim(dir, "on", [
    `name "eh-serial-${lanPort}"`,
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr 127.0.0.1 ${lanPort}`,
    "    priv_limit admin",
    "    allowed_auths_admin md5 straight",
    "    guid 1f2e3d4c5b6a79881f2e3d4c5b6a7988",
    "  endlan",
    `  chassis_control "${join(dir, "control.sh")} 0x20"`,
    `  serial 15 127.0.0.1 ${lanPort + 1} codec ${codec}`,
    `  user 1 false "" "unused" user 1 md5`,
    `  user 2 true "${USER}" "${password}" admin 10 md5 straight`,
    "",
  ]);
  let socat: ChildProcess | undefined;
  const tty = join(dir, "tty");
  const ipmitoolPower = (): "on" | "off" | "unknown" => {
    const result = spawnSync("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(lanPort), "-C", "3", "-U", USER, "-E", "-N", "1", "-R", "2", "chassis", "power", "status"], { env: { ...process.env, IPMI_PASSWORD: password }, timeout: 10_000, encoding: "utf8" });
    return /is on/.test(result.stdout) ? "on" : /is off/.test(result.stdout) ? "off" : "unknown";
  };
  const stop = (): void => {
    if (socat) kill(socat);
    kill(sim);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let attempt = 0; ipmitoolPower() === "unknown"; attempt++) {
      if (attempt >= 40 || sim.exitCode !== null) throw new Error(`ipmi_sim did not answer on 127.0.0.1:${lanPort}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    socat = spawn("socat", [`pty,link=${tty},raw,echo=0`, `tcp:127.0.0.1:${lanPort + 1}`], { stdio: "ignore" });
    for (let attempt = 0; !existsSync(tty); attempt++) {
      if (attempt >= 50 || socat.exitCode !== null) throw new Error("socat did not link the pty to ipmi_sim's serial port");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    stop();
    throw error;
  }
  return {
    tty, stop, ipmitoolPower,
    power: () => (readFileSync(join(dir, "power"), "utf8").trim() === "1" ? "on" : "off"),
    events: () => readFileSync(join(dir, "events"), "utf8").split("\n").filter(Boolean),
  };
}
