// Starts OpenIPMI's ipmi_sim as a LAN BMC on 127.0.0.1 with a config written here
// (users, one LAN channel, chassis control through a small shell script that keeps
// the power state in a file and logs every command). Stop kills only its own pid.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SimBmc {
  port: number;
  dir: string;
  user: string;
  password: string;
  power(): "on" | "off";
  events(): string[];
  /** The same with the wall-clock time (ms) the BMC took each command: "power 0" at atMs. */
  timedEvents(): Array<{ atMs: number; event: string }>;
  stop(): void;
}

const CONTROL = `#!/bin/sh
# chassis control for ipmi_sim: get power prints power:0|1, set writes and logs.
shift
op=$1; shift
case "$op" in
  get) for p in "$@"; do case "$p" in power) echo "power:$(cat "$BMC_DIR/power")";; boot) echo "boot:default";; *) exit 1;; esac; done;;
  set) while [ $# -gt 1 ]; do echo "$1 $2" >> "$BMC_DIR/events"; echo "$(date +%s%3N) $1 $2" >> "$BMC_DIR/timed-events"; case "$1" in power) echo "$2" > "$BMC_DIR/power";; shutdown) echo 0 > "$BMC_DIR/power";; esac; shift 2; done;;
  *) exit 1;;
esac
exit 0
`;

/**
 * Writes an ipmi_sim state directory (power file, event log, the chassis control script, one BMC
 * at 0x20, lan.conf with `lanConf` lines) and starts ipmi_sim on it. `${dir}/control.sh` may be
 * named in lanConf (chassis_control). The caller kills the process and removes the directory.
 */
export function spawnIpmiSim(dir: string, initialPower: "on" | "off", lanConf: readonly string[]): ChildProcess {
  writeFileSync(join(dir, "power"), initialPower === "on" ? "1\n" : "0\n");
  writeFileSync(join(dir, "events"), "");
  writeFileSync(join(dir, "control.sh"), CONTROL);
  chmodSync(join(dir, "control.sh"), 0o755);
  writeFileSync(join(dir, "bmc.emu"), "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n");
  writeFileSync(join(dir, "lan.conf"), lanConf.join("\n"));
  return spawn("ipmi_sim", ["-n", "-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", dir], { cwd: dir, env: { ...process.env, BMC_DIR: dir }, stdio: "ignore" });
}

function ipmitoolStatus(port: number, user: string, password: string): boolean {
  const result = spawnSync("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-C", "3", "-U", user, "-E", "-N", "1", "-R", "1", "chassis", "power", "status"], { env: { ...process.env, IPMI_PASSWORD: password }, timeout: 5000, encoding: "utf8" });
  return result.status === 0;
}

/** Starts the simulator; resolves once ipmitool gets an answer over lanplus. */
export async function startSimBmc(port: number, initialPower: "on" | "off" = "on"): Promise<SimBmc> {
  const dir = mkdtempSync(join(tmpdir(), "eh-bmc-"));
  const user = "fenceadmin";
  const password = `bmc-${process.pid}-pw`;
  const child = spawnIpmiSim(dir, initialPower, [
    `name "eh-bmc-${port}"`,
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr 127.0.0.1 ${port}`,
    "    priv_limit admin",
    "    allowed_auths_callback none md2 md5 straight",
    "    allowed_auths_user none md2 md5 straight",
    "    allowed_auths_operator none md2 md5 straight",
    "    allowed_auths_admin none md2 md5 straight",
    "    guid 0f1e2d3c4b5a69780f1e2d3c4b5a6978",
    "  endlan",
    `  chassis_control "${join(dir, "control.sh")} 0x20"`,
    `  user 1 false "" "unused" user 1 md5`,
    `  user 2 true "${user}" "${password}" admin 10 md2 md5 straight`,
    "",
  ]);
  const stop = (): void => {
    if (child.exitCode === null && child.pid) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 40; attempt++) {
    if (ipmitoolStatus(port, user, password)) {
      return {
        port, dir, user, password, stop,
        power: () => (readFileSync(join(dir, "power"), "utf8").trim() === "1" ? "on" : "off"),
        events: () => readFileSync(join(dir, "events"), "utf8").split("\n").filter(Boolean),
        timedEvents: () => (existsSync(join(dir, "timed-events")) ? readFileSync(join(dir, "timed-events"), "utf8") : "").split("\n").filter(Boolean).map((line) => {
          const [atMs, ...event] = line.split(" ");
          return { atMs: Number(atMs), event: event.join(" ") };
        }),
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stop();
  throw new Error(`ipmi_sim did not answer on 127.0.0.1:${port}`);
}

/** The chassis power as ipmitool itself reads it over lanplus cipher suite 3. */
export function ipmitoolPower(bmc: SimBmc): "on" | "off" | "unknown" {
  const result = spawnSync("ipmitool", ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(bmc.port), "-C", "3", "-U", bmc.user, "-E", "-N", "1", "-R", "2", "chassis", "power", "status"], { env: { ...process.env, IPMI_PASSWORD: bmc.password }, timeout: 10_000, encoding: "utf8" });
  return /is on/.test(result.stdout) ? "on" : /is off/.test(result.stdout) ? "off" : "unknown";
}

/** Collects what a driver prints, line by line, for assertions. */
export function captureLines() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) } };
}
