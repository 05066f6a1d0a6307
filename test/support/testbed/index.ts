// The two-node namespace testbed shared by the cluster tests, ./scripts/demo and
// bench/failover. Layout (one /24 per link, every namespace name starts with eh<tag>):
//
//   <tag>sw   switch: bridge br0 (link 1, 10.204.0.0/24) and, with secondLink, br1
//             (link 2, 10.205.0.0/24); the BMCs' addresses .21 (node1) and .22 (node2)
//             sit on br0 and one ipmi_sim per node answers there on UDP 623
//   <tag>n1   node1: eth0 10.204.0.11 (eth1 10.205.0.11)
//   <tag>n2   node2: eth0 10.204.0.12 (eth1 10.205.0.12)
//   <tag>a    arbiter (optional): eth0 10.204.0.13
//   <tag>c    client: eth0 10.204.0.100; the VIP of the tests is 10.204.0.50
//
// A node is a machine: its network namespace plus a PID 1 in its own pid, mount and uts
// namespaces with a private /run, /dev/shm and state directories for /etc/corosync,
// /var/lib/pacemaker and friends (so Pacemaker and Corosync run as two separate hosts).
// Its BMC's chassis power-off is a power loss (node.sh off): every process killed, cables
// unplugged, run-time addresses forgotten; power-on plugs the cables back and boots it.
// All namespaces live only inside the testbed, so the fixed addresses never collide;
// destroy() kills everything and deletes every namespace, and runs on a failed create().
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type NodeName = "node1" | "node2" | "arbiter" | "client";

export interface TestbedOptions {
  /** Up to 3 letters; names are eh<prefix><pid base 36><counter><role>. */
  prefix?: string;
  arbiter?: boolean;
  secondLink?: boolean;
  /** One ipmi_sim BMC per node (default true). */
  bmcs?: boolean;
}

export interface TestbedHost {
  name: NodeName;
  namespace: string;
  /** Address per link, without prefix. */
  addresses: string[];
  /** Switch-side veth per link. */
  cables: string[];
  /** Machines (node1, node2, arbiter) have a PID 1 and a state directory. */
  machine: boolean;
  state: string;
  bmcAddress?: string;
}

export interface ProbeAnswer { t: number; body: string }

export const LINKS = ["10.204.0", "10.205.0"];
export const BMC_PORT = 623;
// Bundled (bench, demo) the module no longer sits next to its scripts: look from the repository root.
const HERE = existsSync(join(__dirname, "node.sh")) ? __dirname : join(process.env.EDGEHA_ROOT ?? process.cwd(), "test", "support", "testbed");
const NODE_SH = join(HERE, "node.sh");
const PROBE = join(HERE, "probe.mjs");
let counter = 0;

function run(argv: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
  const [command = "true", ...args] = argv;
  const result = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function must(argv: string[]): string {
  const result = run(argv);
  if (result.status !== 0) throw new Error(`testbed: ${argv.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** How long destroy() waits for the processes it killed to exit. */
const DESTROY_WAIT_MS = 10_000;

/**
 * A running process's identity: its start time (field 22 of /proc/PID/stat), so a pid reused
 * meanwhile is not taken for the process killed. Undefined once it has exited (gone, or a
 * zombie or dead task that no longer runs).
 */
function processIdentity(pid: number): string | undefined {
  let stat: string;
  try { stat = readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { return undefined; }
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0] ?? "";
  return state === "Z" || state === "X" || state === "x" ? undefined : fields[19];
}

/** Blocks the thread for ms (destroy() is synchronous: afterAll hooks and the demo call it so). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class Testbed {
  readonly tag: string;
  readonly directory: string;
  readonly switchNs: string;
  readonly vip = `${LINKS[0]}.50`;
  readonly bmcUser = "ehadmin";
  readonly bmcPassword: string;
  readonly hosts = new Map<NodeName, TestbedHost>();
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly cuts: Array<{ host: TestbedHost; rule: string[] }> = [];

  private constructor(readonly options: TestbedOptions) {
    this.tag = `${(options.prefix ?? "t").slice(0, 3)}${(process.pid % 46656).toString(36)}${(counter++).toString(36)}`;
    // /var/tmp, not /tmp: a machine may want a private /tmp one day, and this survives a reboot of it.
    mkdirSync("/var/tmp", { recursive: true });
    this.directory = mkdtempSync(join("/var/tmp", `eh-testbed-${this.tag}-`));
    this.switchNs = `eh${this.tag}sw`;
    this.bmcPassword = `bmc-${this.tag}-${process.pid}`;
    const links = options.secondLink ? 2 : 1;
    const add = (name: NodeName, role: string, host: number, machine: boolean, linkCount: number) => {
      this.hosts.set(name, {
        name, namespace: `eh${this.tag}${role}`, machine,
        addresses: LINKS.slice(0, linkCount).map((base) => `${base}.${host}`),
        cables: LINKS.slice(0, linkCount).map((_, link) => `eh${this.tag}${role}l${link}`),
        state: join(this.directory, name),
        bmcAddress: name.startsWith("node") ? `${LINKS[0]}.${host + 10}` : undefined,
      });
    };
    add("node1", "n1", 11, true, links);
    add("node2", "n2", 12, true, links);
    if (options.arbiter) add("arbiter", "a", 13, true, 1);
    add("client", "c", 100, false, 1);
  }

  /** Creates the whole testbed; on any failure everything made so far is removed. */
  static async create(options: TestbedOptions = {}): Promise<Testbed> {
    const testbed = new Testbed(options);
    try {
      await testbed.build();
    } catch (error) {
      testbed.destroy();
      throw error;
    }
    return testbed;
  }

  host(name: NodeName): TestbedHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`testbed: no host ${name} (have ${[...this.hosts.keys()].join(", ")})`);
    return host;
  }

  get nodes(): TestbedHost[] {
    return [this.host("node1"), this.host("node2")];
  }

  private addNamespace(name: string): void {
    run(["ip", "netns", "delete", name]);
    must(["ip", "netns", "add", name]);
    this.namespaces.push(name);
    must(["ip", "-n", name, "link", "set", "lo", "up"]);
  }

  private async build(): Promise<void> {
    this.addNamespace(this.switchNs);
    const links = this.options.secondLink ? 2 : 1;
    for (let link = 0; link < links; link++) {
      must(["ip", "-n", this.switchNs, "link", "add", `br${link}`, "type", "bridge", "forward_delay", "0", "stp_state", "0"]);
      must(["ip", "-n", this.switchNs, "link", "set", `br${link}`, "up"]);
    }
    for (const host of this.hosts.values()) {
      this.addNamespace(host.namespace);
      host.cables.forEach((cable, link) => {
        must(["ip", "link", "add", cable, "type", "veth", "peer", "name", `${cable}p`]);
        must(["ip", "link", "set", cable, "netns", this.switchNs]);
        must(["ip", "link", "set", `${cable}p`, "netns", host.namespace]);
        must(["ip", "-n", host.namespace, "link", "set", `${cable}p`, "name", `eth${link}`]);
        must(["ip", "-n", host.namespace, "addr", "add", `${host.addresses[link]}/24`, "dev", `eth${link}`]);
        must(["ip", "-n", host.namespace, "link", "set", `eth${link}`, "up"]);
        must(["ip", "-n", this.switchNs, "link", "set", cable, "master", `br${link}`]);
        must(["ip", "-n", this.switchNs, "link", "set", cable, "up"]);
      });
      if (host.machine) {
        mkdirSync(host.state, { recursive: true });
        writeFileSync(join(host.state, "power"), "1\n");
        writeFileSync(join(host.state, "bmc-events"), "");
        writeFileSync(join(host.state, "node.env"), [
          `NODE_NS='${host.namespace}'`, `SWITCHES='${host.cables.map(() => this.switchNs).join(" ")}'`,
          `CABLES='${host.cables.join(" ")}'`, `ADDRS='${host.addresses.map((a) => `${a}/24`).join(" ")}'`,
          `STATE='${host.state}'`, `HOSTNAME_='${host.name}'`, "",
        ].join("\n"));
        must([NODE_SH, "boot", join(host.state, "node.env")]);
      }
    }
    // The client learns a moved VIP from gratuitous ARP at once.
    run(["ip", "netns", "exec", this.host("client").namespace, "sysctl", "-qw", "net.ipv4.conf.all.arp_accept=1", "net.ipv4.conf.eth0.arp_accept=1"]);
    if (this.options.bmcs !== false) {
      for (const node of this.nodes) must(["ip", "-n", this.switchNs, "addr", "add", `${node.bmcAddress}/24`, "dev", "br0"]);
      for (const node of this.nodes) await this.startBmc(node);
    }
  }

  private async startBmc(node: TestbedHost): Promise<void> {
    const dir = join(node.state, "bmc");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "bmc.emu"), "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n");
    const auths = "none md2 md5 straight";
    writeFileSync(join(dir, "lan.conf"), [
      `name "eh-${node.name}"`, "set_working_mc 0x20", "  startlan 1", `    addr ${node.bmcAddress} ${BMC_PORT}`, "    priv_limit admin",
      ...["callback", "user", "operator", "admin"].map((level) => `    allowed_auths_${level} ${auths}`),
      "    guid a1b2c3d4e5f60718293a4b5c6d7e8f90", "  endlan",
      `  chassis_control "${NODE_SH} chassis ${join(node.state, "node.env")} 0x20"`,
      `  user 1 false "" "unused" user 1 md5`, `  user 2 true "${this.bmcUser}" "${this.bmcPassword}" admin 10 ${auths}`, "",
    ].join("\n"));
    const log = openSync(join(dir, "ipmi_sim.log"), "a");
    const child = spawn("ip", ["netns", "exec", this.switchNs, "ipmi_sim", "-n", "-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", dir], { cwd: dir, stdio: ["ignore", log, log] });
    closeSync(log);
    this.children.push(child);
    for (let attempt = 0; attempt < 40; attempt++) {
      if (this.ipmitool(node.name, "chassis", "power", "status").status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`testbed: ipmi_sim of ${node.name} did not answer on ${node.bmcAddress}:${BMC_PORT}`);
  }

  /** Real `ipmitool -I lanplus` against a node's BMC, run from the client namespace. */
  ipmitool(name: NodeName, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const node = this.host(name);
    const result = spawnSync("ip", ["netns", "exec", this.host("client").namespace, "ipmitool", "-I", "lanplus", "-C", "3", "-H", node.bmcAddress!, "-p", String(BMC_PORT), "-U", this.bmcUser, "-E", "-N", "1", "-R", "2", ...args], {
      encoding: "utf8", timeout: 10_000, env: { ...process.env, IPMI_PASSWORD: this.bmcPassword },
    });
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  /** The power actions the BMC of a node has taken, one line each ("<time> power 0"). */
  bmcEvents(name: NodeName): string[] {
    return readFileSync(join(this.host(name).state, "bmc-events"), "utf8").split("\n").filter(Boolean);
  }

  /** Power loss of a machine, exactly what its BMC's power-off does. */
  powerLoss(name: NodeName): void {
    must([NODE_SH, "off", join(this.host(name).state, "node.env")]);
  }

  /** Power back on (cables in, the machine boots); a no-op when it has power. */
  powerOn(name: NodeName): void {
    must([NODE_SH, "on", join(this.host(name).state, "node.env")]);
  }

  powered(name: NodeName): boolean {
    return readFileSync(join(this.host(name).state, "power"), "utf8").trim() !== "0";
  }

  /** Host pids of every process of a host (its network namespace). */
  pids(name: NodeName): number[] {
    return run(["ip", "netns", "pids", this.host(name).namespace]).stdout.split(/\s+/).filter(Boolean).map(Number);
  }

  private enter(host: TestbedHost): string[] {
    if (!host.machine) return ["ip", "netns", "exec", host.namespace];
    const init = readFileSync(join(host.state, "init.pid"), "utf8").trim();
    return ["nsenter", "-t", init, "-n", "-m", "-u", "-p", "--wd=/", "--"];
  }

  /** Starts a long-running command on a host; stdout and stderr go to logFile (appended). */
  spawn(name: NodeName, argv: string[], options: { logFile?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const host = this.host(name);
    const logFile = options.logFile ?? join(this.directory, `${name}-${(argv[0] ?? "").split("/").pop()}.log`);
    const log = openSync(logFile, "a");
    const [command = "true", ...prefix] = this.enter(host);
    const child = spawn(command, [...prefix, ...argv], { stdio: ["ignore", log, log], env: { ...process.env, ...options.env } });
    closeSync(log);
    this.children.push(child);
    return child;
  }

  /** Runs a command on a host to its end (bounded by timeoutMs). */
  exec(name: NodeName, argv: string[], options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): { status: number | null; stdout: string; stderr: string } {
    const [command = "true", ...prefix] = this.enter(this.host(name));
    const result = spawnSync(command, [...prefix, ...argv], { encoding: "utf8", timeout: options.timeoutMs ?? 10_000, input: options.input, env: { ...process.env, ...options.env } });
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
  }

  /**
   * Cuts traffic between two hosts on every link: b's packets no longer reach a, and
   * unless oneWay, a's no longer reach b. heal() undoes every cut.
   */
  cutLink(a: NodeName, b: NodeName, options: { oneWay?: boolean } = {}): void {
    const drop = (to: TestbedHost, from: TestbedHost) => {
      for (const address of from.addresses) {
        const rule = ["INPUT", "-s", address, "-j", "DROP"];
        must(["ip", "netns", "exec", to.namespace, "iptables", "-w", "-I", ...rule]);
        this.cuts.push({ host: to, rule });
      }
    };
    drop(this.host(a), this.host(b));
    if (!options.oneWay) drop(this.host(b), this.host(a));
  }

  heal(): void {
    for (const cut of this.cuts.splice(0)) run(["ip", "netns", "exec", cut.host.namespace, "iptables", "-w", "-D", ...cut.rule]);
  }

  /** Unplugs (or plugs back) one cable of a host at the switch, processes untouched. */
  cable(name: NodeName, up: boolean, link = 0): void {
    must(["ip", "-n", this.switchNs, "link", "set", this.host(name).cables[link] ?? "", up ? "up" : "down"]);
  }

  /**
   * A small HTTP responder on a machine (haproxy answering every request with the
   * machine's name), listening on every address, so a VIP on it answers too.
   */
  startResponder(name: NodeName, port: number): ChildProcess {
    const config = join(this.directory, `${name}-responder.cfg`);
    writeFileSync(config, [
      "global", "  maxconn 256", "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s",
      "frontend answer", `  bind :${port}`, `  http-request return status 200 content-type text/plain string ${name}`, "",
    ].join("\n"));
    return this.spawn(name, ["haproxy", "-db", "-f", config], { logFile: join(this.directory, `${name}-responder.log`) });
  }

  /**
   * The client probe: from the client namespace, GET http://VIP:port/ every intervalMs
   * (timeout timeoutMs) for at most durationMs. Answers are JSON lines in the returned file.
   */
  startProbe(port: number, options: { intervalMs?: number; timeoutMs?: number; durationMs?: number; address?: string } = {}): { child: ChildProcess; file: string; answers: () => ProbeAnswer[]; stop: () => void } {
    const file = join(this.directory, `probe-${Date.now()}-${counter++}.jsonl`);
    writeFileSync(file, "");
    const child = this.spawn("client", [process.execPath, PROBE, `http://${options.address ?? this.vip}:${port}/`, file, String(options.intervalMs ?? 20), String(options.timeoutMs ?? 150), String(options.durationMs ?? 120_000)]);
    const answers = () => readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as ProbeAnswer);
    return { child, file, answers, stop: () => { if (child.exitCode === null) child.kill("SIGTERM"); } };
  }

  /**
   * Kills every process of the testbed and deletes its namespaces and files. A SIGKILL only
   * asks: the process dies when it next runs, which on a loaded machine can be a while later.
   * So destroy() waits (at most DESTROY_WAIT_MS) until every process it killed has exited
   * (gone, or a zombie its parent has yet to reap), and says so on stderr if one outlives that.
   */
  destroy(options: { keepFiles?: boolean } = {}): void {
    const killed = new Map<number, string>();
    const kill = (pid: number) => {
      const identity = processIdentity(pid);
      if (identity !== undefined && !killed.has(pid)) killed.set(pid, identity);
      try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
    };
    for (const host of this.hosts.values()) {
      if (!host.machine) continue;
      let init: number | undefined;
      try { init = Number(readFileSync(join(host.state, "init.pid"), "utf8").trim()); } catch { /* never booted */ }
      if (init !== undefined && init > 0) kill(init);
    }
    for (let round = 0; round < 3; round++) {
      for (const namespace of this.namespaces) {
        for (const pid of run(["ip", "netns", "pids", namespace]).stdout.split(/\s+/).filter(Boolean)) kill(Number(pid));
      }
    }
    for (const child of this.children) if (child.exitCode === null && child.pid !== undefined) kill(child.pid);
    const deadline = Date.now() + DESTROY_WAIT_MS;
    let running = [...killed].filter(([pid, identity]) => processIdentity(pid) === identity);
    while (running.length > 0 && Date.now() < deadline) {
      sleepSync(20);
      running = running.filter(([pid, identity]) => processIdentity(pid) === identity);
    }
    if (running.length > 0) process.stderr.write(`testbed ${this.tag}: killed processes still running after ${DESTROY_WAIT_MS} ms: ${running.map(([pid]) => pid).join(" ")}\n`);
    for (const namespace of [...this.namespaces].reverse()) run(["ip", "netns", "delete", namespace]);
    this.namespaces.length = 0;
    if (!options.keepFiles && existsSync(this.directory)) rmSync(this.directory, { recursive: true, force: true });
  }

  /** Names of namespaces that still exist (for tests of destroy). */
  static leftovers(tag: string): string[] {
    return run(["ip", "netns", "list"]).stdout.split("\n").map((line) => line.split(" ")[0] ?? "").filter((name) => name.startsWith(`eh${tag}`));
  }
}
