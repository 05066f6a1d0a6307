// A real systemd for tests, on a machine that does not boot with it: systemd runs as PID 1 of
// its own PID, mount and network namespaces, with its own /run, /tmp, /var/tmp and cgroup2
// hierarchy. Both unit directories are replaced by empty ones holding only the test's units
// (DefaultDependencies=no, an empty target as the goal): a booting systemd would otherwise
// start sysinit.target, whose systemd-tmpfiles empties /tmp, and the host's services.
// Commands run inside with `exec`. stop() kills it and everything in its PID namespace.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export const SYSTEMD = "/lib/systemd/systemd";

export interface SystemdNamespace {
  pid: number;
  exec(argv: string[], options?: { timeoutMs?: number; input?: string }): { status: number | null; stdout: string; stderr: string };
  stop(): void;
}

/**
 * Starts systemd with these units (name -> unit file text); resolves once it answers. `keep`
 * names host directories that must stay visible inside although they lie under /tmp or /var/tmp
 * (a checkout in /tmp, say): they are bound back over the namespace's own empty /tmp.
 */
export async function startSystemd(units: Record<string, string>, timeoutMs = 20_000, keep: readonly string[] = []): Promise<SystemdNamespace> {
  const files = { "edgeha-test-idle.target": "[Unit]\nDescription=edgeha test: nothing to start\nDefaultDependencies=no\n", ...units };
  for (const [name, text] of Object.entries(files)) {
    if (!/^\[Unit\][^[]*DefaultDependencies=no/m.test(text)) throw new Error(`test unit ${name} must start with [Unit] DefaultDependencies=no (so it pulls in nothing of the host)`);
  }
  const writes = Object.entries(files).map(([name, text]) => `printf '%s' '${text.replace(/'/g, "'\\''")}' > /etc/systemd/system/${name}`).join(" && ");
  const kept = keep.filter((path) => /^\/(var\/)?tmp\//.test(path));
  for (const path of kept) if (!/^[\w./-]+$/.test(path)) throw new Error(`cannot keep ${path} visible in the systemd namespace: only letters, digits, '.', '_', '-' and '/' are handled`);
  const script = [
    "mount -t tmpfs tmpfs /run",
    ...kept.flatMap((path, index) => [`mkdir -p /run/eh-keep/${index}`, `mount --bind ${path} /run/eh-keep/${index}`]),
    "mount -t tmpfs tmpfs /tmp", "mount -t tmpfs tmpfs /var/tmp",
    ...kept.flatMap((path, index) => [`mkdir -p ${path}`, `mount --bind /run/eh-keep/${index} ${path}`]),
    "mount -t cgroup2 none /sys/fs/cgroup",
    "mount -t tmpfs tmpfs /usr/lib/systemd/system", "mount -t tmpfs tmpfs /etc/systemd/system", writes,
    "exec env container=edgeha-test /lib/systemd/systemd --system --unit=edgeha-test-idle.target --log-target=null",
  ].join(" && ");
  const child: ChildProcess = spawn("unshare", ["--pid", "--fork", "--mount", "--propagation", "private", "--net", "--uts", "--mount-proc", "sh", "-c", script], { stdio: "ignore" });
  const deadline = Date.now() + timeoutMs;
  let pid: number | undefined;
  const stop = () => {
    if (pid !== undefined) spawnSync("kill", ["-9", String(pid)]);
    child.kill("SIGKILL");
  };
  while (Date.now() < deadline) {
    // The namespace's PID 1, seen from here: the child of unshare's fork.
    const found = spawnSync("pgrep", ["-P", String(child.pid), "-f", SYSTEMD], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    if (found) {
      pid = Number(found);
      const probe = spawnSync("nsenter", ["-t", String(pid), "-m", "-p", "-n", "--", "systemctl", "is-system-running"], { encoding: "utf8", timeout: 5000 });
      if (/running|degraded/.test(probe.stdout)) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (pid === undefined || Date.now() >= deadline) {
    stop();
    throw new Error("systemd did not come up in its namespaces within the time allowed");
  }
  const target = pid;
  return {
    pid: target,
    exec: (argv, options = {}) => {
      const result = spawnSync("nsenter", ["-t", String(target), "-m", "-p", "-n", "--", ...argv], { encoding: "utf8", timeout: options.timeoutMs ?? 30_000, ...(options.input === undefined ? {} : { input: options.input }) });
      return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    },
    stop,
  };
}
