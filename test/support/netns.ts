// Network namespaces that a test creates and deletes itself. Every name starts
// with "eh" so scripts/test can remove leftovers of an interrupted run.
import { execFileSync, spawnSync } from "node:child_process";

export function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8" });
}

export class Namespace {
  constructor(readonly name: string) {}

  static create(name: string): Namespace {
    if (!name.startsWith("eh")) throw new Error(`test namespaces must start with "eh": ${name}`);
    spawnSync("ip", ["netns", "delete", name], { stdio: "ignore" });
    ip("netns", "add", name);
    ip("-n", name, "link", "set", "lo", "up");
    return new Namespace(name);
  }

  exec(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}) {
    const result = spawnSync("ip", ["netns", "exec", this.name, command, ...args], {
      encoding: "utf8",
      input: options.input,
      timeout: options.timeoutMs ?? 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Kills every process in the namespace, then deletes it. */
  delete(): void {
    const pids = spawnSync("ip", ["netns", "pids", this.name], { encoding: "utf8" }).stdout ?? "";
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    spawnSync("ip", ["netns", "delete", this.name], { stdio: "ignore" });
  }
}

/** Connects two namespaces with a veth pair and gives each end an address (CIDR). */
export function connect(left: Namespace, leftAddress: string, right: Namespace, rightAddress: string, linkName: string): void {
  const leftInterface = `${linkName}a`;
  const rightInterface = `${linkName}b`;
  ip("link", "add", leftInterface, "netns", left.name, "type", "veth", "peer", "name", rightInterface, "netns", right.name);
  ip("-n", left.name, "addr", "add", leftAddress, "dev", leftInterface);
  ip("-n", right.name, "addr", "add", rightAddress, "dev", rightInterface);
  ip("-n", left.name, "link", "set", leftInterface, "up");
  ip("-n", right.name, "link", "set", rightInterface, "up");
}
