// A two-node appliance pair in network namespaces, for the cluster tests and the demo:
// a switch namespace with a bridge, node1 and node2 (one link each, a second optional),
// a client, and a BMC namespace where one ipmi_sim per node answers on its own address.
// A BMC's power-off is a power loss: every process of that node's namespace is killed and
// its cable (the switch-side veth) is unplugged; power-on plugs it back in. Everything is
// created here and removed by destroy(), which also runs on a failed setup.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PairNode { name: string; id: number; namespace: string; address: string; bmcAddress: string; cable: string }

export interface PairOptions {
  /** Short unique tag; namespace names are eh<tag><role>. */
  tag: string;
  /** Third octet of 10.202.X.0/24. */
  subnet: number;
  /** Start an ipmi_sim BMC per node (default true). */
  bmcs?: boolean;
}

const CONTROL = `#!/bin/sh
# ipmi_sim chassis control for one node of the pair: power state in a file; power off
# kills the node's processes and unplugs its cable, power on plugs it back.
shift
op=$1; shift
state="$BMC_DIR/power"
case "$op" in
  get) for p in "$@"; do case "$p" in power) echo "power:$(cat "$state")";; boot) echo "boot:default";; *) exit 1;; esac; done;;
  set)
    while [ $# -gt 1 ]; do
      echo "$(date +%s.%N) $1 $2" >> "$BMC_DIR/events"
      case "$1:$2" in
        power:0|shutdown:*)
          echo 0 > "$state"
          ip -n "$SWITCH" link set "$CABLE" down
          for pid in $(ip netns pids "$NODE_NS"); do kill -9 "$pid" 2>/dev/null; done
          # A node that loses power forgets its run-time addresses (a VIP it held).
          ip -n "$NODE_NS" addr flush dev eth0
          ip -n "$NODE_NS" addr add "$NODE_ADDR/24" dev eth0 ;;
        power:1)
          echo 1 > "$state"
          ip -n "$SWITCH" link set "$CABLE" up ;;
      esac
      shift 2
    done;;
  *) exit 1;;
esac
exit 0
`;

export class PairTestbed {
  readonly directory: string;
  readonly switchNs: string;
  readonly clientNs: string;
  readonly bmcNs: string;
  readonly nodes: PairNode[];
  readonly vip: string;
  readonly clientAddress: string;
  readonly bmcUser = "fenceadmin";
  readonly bmcPassword: string;
  private readonly children: ChildProcess[] = [];
  private readonly namespaces: string[] = [];

  constructor(readonly options: PairOptions) {
    const base = `10.202.${options.subnet}`;
    this.directory = mkdtempSync(join(tmpdir(), `eh-pair-${options.tag}-`));
    this.switchNs = `eh${options.tag}sw`;
    this.clientNs = `eh${options.tag}c`;
    this.bmcNs = `eh${options.tag}b`;
    this.vip = `${base}.50`;
    this.clientAddress = `${base}.100`;
    this.bmcPassword = `pair-${options.tag}-${process.pid}`;
    this.nodes = [1, 2].map((id) => ({ name: `node${id}`, id, namespace: `eh${options.tag}n${id}`, address: `${base}.1${id}`, bmcAddress: `${base}.2${id}`, cable: `eh${options.tag}v${id}` }));
  }

  private ip(...args: string[]): void {
    const result = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
    if (result.status !== 0) throw new Error(`ip ${args.join(" ")}: ${result.stderr}`);
  }

  private addNamespace(name: string): void {
    spawnSync("ip", ["netns", "delete", name], { stdio: "ignore" });
    this.ip("netns", "add", name);
    this.namespaces.push(name);
    this.ip("-n", name, "link", "set", "lo", "up");
  }

  /** Plugs a namespace into the switch with the given addresses; returns the switch-side name. */
  private plug(namespace: string, cable: string, addresses: string[]): void {
    this.ip("link", "add", cable, "netns", this.switchNs, "type", "veth", "peer", "name", "eth0", "netns", namespace);
    this.ip("-n", this.switchNs, "link", "set", cable, "master", "br0", "up");
    for (const address of addresses) this.ip("-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0");
    this.ip("-n", namespace, "link", "set", "eth0", "up");
  }

  async create(): Promise<void> {
    try {
      this.addNamespace(this.switchNs);
      this.ip("-n", this.switchNs, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0");
      this.ip("-n", this.switchNs, "link", "set", "br0", "up");
      for (const node of this.nodes) {
        this.addNamespace(node.namespace);
        this.plug(node.namespace, node.cable, [node.address]);
      }
      this.addNamespace(this.clientNs);
      this.plug(this.clientNs, `eh${this.options.tag}vc`, [this.clientAddress]);
      spawnSync("ip", ["netns", "exec", this.clientNs, "sysctl", "-qw", "net.ipv4.conf.all.arp_accept=1", "net.ipv4.conf.eth0.arp_accept=1"]);
      if (this.options.bmcs !== false) {
        this.addNamespace(this.bmcNs);
        this.plug(this.bmcNs, `eh${this.options.tag}vb`, this.nodes.map((node) => node.bmcAddress));
        for (const node of this.nodes) await this.startBmc(node);
      }
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  private async startBmc(node: PairNode): Promise<void> {
    const dir = join(this.directory, `bmc-${node.name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "power"), "1\n");
    writeFileSync(join(dir, "events"), "");
    writeFileSync(join(dir, "control.sh"), CONTROL);
    chmodSync(join(dir, "control.sh"), 0o755);
    writeFileSync(join(dir, "bmc.emu"), "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n");
    writeFileSync(join(dir, "lan.conf"), [
      `name "eh-${node.name}"`, "set_working_mc 0x20", "  startlan 1", `    addr ${node.bmcAddress} 623`, "    priv_limit admin",
      "    allowed_auths_callback none md2 md5 straight", "    allowed_auths_user none md2 md5 straight",
      "    allowed_auths_operator none md2 md5 straight", "    allowed_auths_admin none md2 md5 straight",
      "    guid 0f1e2d3c4b5a69780f1e2d3c4b5a6978", "  endlan", `  chassis_control "${join(dir, "control.sh")} 0x20"`,
      `  user 1 false "" "unused" user 1 md5`, `  user 2 true "${this.bmcUser}" "${this.bmcPassword}" admin 10 md2 md5 straight`, "",
    ].join("\n"));
    const child = spawn("ip", ["netns", "exec", this.bmcNs, "ipmi_sim", "-n", "-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", dir], {
      cwd: dir, stdio: "ignore", env: { ...process.env, BMC_DIR: dir, SWITCH: this.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
    });
    this.children.push(child);
    this.bmcProcesses.set(node.name, child);
    for (let attempt = 0; attempt < 40; attempt++) {
      if (this.ipmitool(node, "chassis", "power", "status").status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`ipmi_sim for ${node.name} did not answer on ${node.bmcAddress}:623`);
  }

  /** Real ipmitool against a node's BMC, from the client namespace. */
  ipmitool(node: PairNode, ...args: string[]): { status: number | null; stdout: string } {
    const result = spawnSync("ip", ["netns", "exec", this.clientNs, "ipmitool", "-I", "lanplus", "-C", "3", "-H", node.bmcAddress, "-U", this.bmcUser, "-E", "-N", "1", "-R", "2", ...args], {
      encoding: "utf8", timeout: 10_000, env: { ...process.env, IPMI_PASSWORD: this.bmcPassword },
    });
    return { status: result.status, stdout: result.stdout ?? "" };
  }

  node(name: string): PairNode {
    const node = this.nodes.find((each) => each.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  bmcEvents(node: PairNode): string[] {
    return readFileSync(join(this.directory, `bmc-${node.name}`, "events"), "utf8").split("\n").filter(Boolean);
  }

  private readonly bmcProcesses = new Map<string, ChildProcess>();

  /** The node's BMC loses power too (one feed, one PSU): its ipmi_sim is killed and answers nothing. */
  bmcDown(node: PairNode): void {
    this.bmcProcesses.get(node.name)?.kill("SIGKILL");
  }

  /** Power loss, as the BMC does it at power-off (used for the moment of failure). */
  powerLoss(node: PairNode): void {
    spawnSync("sh", [join(this.directory, `bmc-${node.name}`, "control.sh"), "0x20", "set", "power", "0"], {
      env: { ...process.env, BMC_DIR: join(this.directory, `bmc-${node.name}`), SWITCH: this.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
    });
  }

  /** Unplugs (or plugs back) a node's cable without touching its processes. */
  cable(node: PairNode, up: boolean): void {
    this.ip("-n", this.switchNs, "link", "set", node.cable, up ? "up" : "down");
  }

  /**
   * Starts a long-running command in a node's namespace, in its own mount namespace with
   * private /run/resource-agents and /run/edgeha (two nodes share one file system here).
   */
  nodeFile(node: PairNode, name: string, content: string): void {
    mkdirSync(join(this.directory, "nodefs", node.name), { recursive: true });
    writeFileSync(join(this.directory, "nodefs", node.name, name), content);
  }

  /** Starts a long-running command in a node's namespace (see nodeFile for per-node files). */
  spawn(node: PairNode, argv: string[], logName: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
    const log = createWriteStream(join(this.directory, logName), { flags: "a" });
    // Files the test put in <directory>/nodefs/<node> appear in /run/edgeha/files of that node only.
    const files = join(this.directory, "nodefs", node.name);
    mkdirSync(files, { recursive: true });
    const script = `mkdir -p /run/resource-agents /run/edgeha && mount -t tmpfs tmpfs /run/resource-agents && mount -t tmpfs tmpfs /run/edgeha && mkdir /run/edgeha/files && cp -r '${files}'/. /run/edgeha/files/ && exec "$@"`;
    const child = spawn("ip", ["netns", "exec", node.namespace, "unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", ...argv], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.children.push(child);
    return child;
  }

  /** Kills, with the signal given, the processes of one node whose command line matches (others' are left alone). */
  kill(node: PairNode, pattern: RegExp, signal: NodeJS.Signals = "SIGKILL"): number {
    const pids = (spawnSync("ip", ["netns", "pids", node.namespace], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean);
    let killed = 0;
    for (const pid of pids) {
      let command = "";
      try { command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "); } catch { continue; }
      if (!pattern.test(command)) continue;
      try { process.kill(Number(pid), signal); killed++; } catch { /* gone */ }
    }
    return killed;
  }

  /** Starts a long-running command in any of the testbed's namespaces (the client's, say). */
  spawnIn(namespace: string, argv: string[], logName: string): ChildProcess {
    const log = createWriteStream(join(this.directory, logName), { flags: "a" });
    const child = spawn("ip", ["netns", "exec", namespace, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.children.push(child);
    return child;
  }

  exec(namespace: string, argv: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync("ip", ["netns", "exec", namespace, ...argv], { encoding: "utf8", timeout: timeoutMs });
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  log(name: string): string {
    try {
      return readFileSync(join(this.directory, name), "utf8");
    } catch {
      return "";
    }
  }

  /** Whether destroy() ran (or create() never did): nothing may be started in its namespaces. */
  get destroyed(): boolean {
    return this.namespaces.length === 0;
  }

  destroy(): void {
    for (const namespace of this.namespaces) {
      const pids = spawnSync("ip", ["netns", "pids", namespace], { encoding: "utf8" }).stdout ?? "";
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
      }
    }
    for (const child of this.children) if (child.exitCode === null && child.pid) { try { child.kill("SIGKILL"); } catch { /* gone */ } }
    for (const namespace of [...this.namespaces].reverse()) spawnSync("ip", ["netns", "delete", namespace], { stdio: "ignore" });
    this.namespaces.length = 0;
    if (!process.env.EDGEHA_KEEP) rmSync(this.directory, { recursive: true, force: true });
  }
}
