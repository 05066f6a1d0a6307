// A machine of the test's own making: systemd as PID 1 of its own PID, mount, network and UTS
// namespaces, on a root that is this machine's / under a copy-on-write overlay (what the test
// installs or writes stays in the overlay's upper layer, on a tmpfs, and is gone with it). Its
// unit directories hold only what the test and the packages it installs put there, plus the
// few targets a normal unit orders itself against (basic, sysinit, network, multi-user, ...)
// and journald, so `journalctl` works inside. edgeha's own state and configuration directories
// of this machine are hidden. Commands run inside with `exec`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Targets that units installed by packages order themselves against; empty, so they pull in nothing of the host. */
const TARGETS = ["basic", "sysinit", "sockets", "timers", "paths", "local-fs", "network", "network-online", "network-pre", "nss-lookup", "time-sync", "multi-user", "shutdown", "default"];
/** journald, taken from this machine's systemd package (its units have DefaultDependencies=no). */
const JOURNALD = ["systemd-journald.service", "systemd-journald.socket", "systemd-journald-dev-log.socket"];

export interface Machine {
  name: string;
  /** PID of the machine's systemd, as this machine sees it. */
  pid: number;
  /** The machine's root, seen from here (through /proc). */
  root: string;
  exec(argv: string[], options?: { timeoutMs?: number; input?: string }): { status: number | null; stdout: string; stderr: string };
  stop(): void;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** Starts a machine named `name` (its host name too); resolves once its systemd answers. */
export async function startMachine(name: string, timeoutMs = 30_000): Promise<Machine> {
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(name)) throw new Error(`machine name '${name}': lower-case letters, digits and '-'`);
  const base = mkdtempSync(path.join(tmpdir(), `eh-machine-${name}-`));
  mkdirSync(base, { recursive: true });
  const units = [
    ...TARGETS.map((target) => `printf '[Unit]\\nDescription=%s (test machine)\\nDefaultDependencies=no\\n' ${target}.target > etc/systemd/system/${target}.target`),
    ...JOURNALD.map((unit) => `cp run/eh-units/${unit} lib/systemd/system/${unit}`),
    // journald's socket units are wanted by sockets.target on a real system; here by the default target.
    "mkdir -p etc/systemd/system/default.target.wants",
    ...JOURNALD.map((unit) => `ln -s /lib/systemd/system/${unit} etc/systemd/system/default.target.wants/${unit}`),
  ];
  // Each machine's systemd gets a cgroup subtree of its own (a cgroup namespace rooted at
  // eh-machine-NAME-PID in the v2 hierarchy): two machines sharing the host's root cgroup
  // would share /system.slice/edgeha.service, and one's stop would wait for the other's processes.
  const cgroup = `eh-machine-${name}-${process.pid}`;
  const enter = [
    "set -e",
    `mount -t tmpfs tmpfs ${quote(base)}`,
    `mkdir ${quote(base)}/cgroup`,
    `mount -t cgroup2 cgroup2 ${quote(base)}/cgroup`,
    `mkdir -p ${quote(base)}/cgroup/${cgroup}`,
    `echo $$ > ${quote(base)}/cgroup/${cgroup}/cgroup.procs`,
    `umount ${quote(base)}/cgroup`,
  ].join("\n");
  const script = [
    "set -e",
    `cd ${quote(base)}`,
    "mkdir -p upper work root",
    `mount -t overlay overlay -o lowerdir=/,upperdir=${base}/upper,workdir=${base}/work root`,
    "cd root",
    // A fresh machine holds no edgeha state or configuration: what this host may keep in
    // edgeha's default places (a CIB left in /var/lib/edgeha by a run of the agent here, with
    // resources no test of the machine wrote) is hidden (whiteouts in the overlay's upper layer;
    // the host's files are untouched). Only removed once the overlay is known to be mounted here.
    "[ \"$(stat -f -c %T .)\" = overlayfs ]",
    "rm -rf var/lib/edgeha etc/edgeha",
    "mount --rbind /dev dev",
    "mount -t proc proc proc",
    "mount -t sysfs sysfs sys",
    "mount -t cgroup2 cgroup2 sys/fs/cgroup",
    "mount -t tmpfs tmpfs run",
    "mount -t tmpfs tmpfs tmp",
    "mount -t tmpfs tmpfs var/tmp",
    // The host's units stay out: both unit directories start empty (the packages installed later write into them).
    "mkdir run/eh-units",
    ...JOURNALD.map((unit) => `cp lib/systemd/system/${unit} run/eh-units/`),
    "mount -t tmpfs tmpfs lib/systemd/system",
    "mount -t tmpfs tmpfs etc/systemd/system",
    ...units,
    "rm -rf run/eh-units",
    `hostname ${name}`,
    `echo ${name} > etc/hostname`,
    "mkdir -p oldroot",
    "pivot_root . oldroot",
    "umount -l /oldroot",
    "rmdir /oldroot || true",
    "exec env container=edgeha-test /lib/systemd/systemd --system --unit=default.target",
  ].join("\n");
  const child: ChildProcess = spawn("unshare", ["--pid", "--fork", "--mount", "--propagation", "private", "--net", "--uts", "sh", "-c", `${enter}\nexec unshare --cgroup sh -c ${quote(script)}`], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => { if (errors.length < 4096) errors += chunk.toString(); });
  const deadline = Date.now() + timeoutMs;
  let pid: number | undefined;
  const stop = () => {
    if (pid !== undefined) spawnSync("kill", ["-9", String(pid)]);
    child.kill("SIGKILL");
    // The machine's cgroup subtree goes once its processes are gone (PID 1's death ends them all).
    spawnSync("unshare", ["--mount", "sh", "-c", `mount -t cgroup2 cgroup2 ${quote(base)} && for try in 1 2 3 4 5 6 7 8 9 10; do find ${quote(base)}/${cgroup} -depth -type d -exec rmdir {} + 2>/dev/null && break; sleep 0.2; done; umount ${quote(base)}`], { timeout: 10_000 });
    rmSync(base, { recursive: true, force: true });
  };
  while (Date.now() < deadline) {
    const found = spawnSync("pgrep", ["-P", String(child.pid), "-x", "systemd"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    if (found) {
      pid = Number(found);
      const probe = spawnSync("nsenter", ["-t", String(pid), "-m", "-p", "-n", "-u", "--", "systemctl", "is-system-running"], { encoding: "utf8", timeout: 5000 });
      if (/running|degraded/.test(probe.stdout)) break;
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (pid === undefined || Date.now() >= deadline || child.exitCode !== null) {
    stop();
    throw new Error(`machine ${name} did not come up: ${errors.trim() || "systemd did not answer in time"}`);
  }
  const target = pid;
  return {
    name,
    pid: target,
    root: `/proc/${target}/root`,
    exec: (argv, options = {}) => {
      const result = spawnSync("nsenter", ["-t", String(target), "-m", "-p", "-n", "-u", "--wd=/", "--", ...argv], {
        encoding: "utf8", timeout: options.timeoutMs ?? 60_000, ...(options.input === undefined ? {} : { input: options.input }),
      });
      return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    },
    stop,
  };
}

/** Connects two machines with a veth pair (names start with "eh"), each end with its address. */
export function connectMachines(left: Machine, leftAddress: string, right: Machine, rightAddress: string, device = "eth1"): void {
  const leftName = `eh${left.pid}`.slice(0, 15);
  const rightName = `eh${right.pid}`.slice(0, 15);
  const must = (argv: string[]) => {
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
  };
  must(["ip", "link", "add", leftName, "type", "veth", "peer", "name", rightName]);
  must(["ip", "link", "set", leftName, "netns", String(left.pid)]);
  must(["ip", "link", "set", rightName, "netns", String(right.pid)]);
  for (const [machine, name, address] of [[left, leftName, leftAddress], [right, rightName, rightAddress]] as const) {
    for (const argv of [["ip", "link", "set", name, "name", device], ["ip", "addr", "add", address, "dev", device], ["ip", "link", "set", device, "up"], ["ip", "link", "set", "lo", "up"]]) {
      const result = machine.exec(argv);
      if (result.status !== 0) throw new Error(`${machine.name}: ${argv.join(" ")}: ${result.stderr}`);
    }
  }
}
