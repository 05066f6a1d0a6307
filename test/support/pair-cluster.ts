// An edgeha cluster on the namespace pair (pair.ts): the bootstrap config, a CIB with
// ipmilan fencing through each node's ipmi_sim and a group of a VIP, HAProxy and memcached,
// the agents, and the client's view (HTTP and memcached through the VIP). The cluster tests,
// bench/failover and ./scripts/demo all use it. The agent runs from dist/edgeha.cjs with
// `node`, or from a single executable when `executable` is given.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { PairTestbed, type PairNode } from "./pair";
import { restartAfterStall } from "./stall-restart";

export interface PairClusterOptions {
  port: number;
  /** Membership timing; the defaults are edgeha's own (src/config/defaults.ts: heartbeat 500 ms, token 1000 ms). */
  tokenMs?: number;
  consensusMs?: number;
  /** Pacemaker's priority-fencing-delay, e.g. "2s" (settles a fence race for the node with the group). */
  priorityFencingDelay?: string;
  /** The VIP agent: edgeha's built-in ipaddr (default) or resource-agents' IPaddr2. */
  vipAgent?: "IPaddr2" | "builtin";
  monitorInterval?: string;
  /** HAProxy and memcached: edgeha's built-in agents (default) or a test agent that runs any daemon. */
  daemons?: "builtin" | "test-agent";
  /** migration-threshold for every resource (rsc_defaults). */
  migrationThreshold?: number;
  /** ADDRESS:PORT of an `edgeha arbiter` (quorum.arbiter). */
  arbiter?: string;
  repositoryRoot: string;
  /** The agent command: [node, the executable's V8 flags, dist/edgeha.cjs] by default. */
  command?: string[];
  /** The stonith resource that fences a node (default: the built-in ipmilan driver against its ipmi_sim). */
  fenceDevice?: (node: PairNode, testbed: PairTestbed) => string;
  /** A node the group prefers (location score 50, below the stickiness of 100). */
  preferredNode?: string;
  /** Cluster properties beside stonith-enabled (stonith-watchdog-timeout, ...). */
  properties?: Record<string, string>;
  /** The fencing-topology element's content (fencing-level elements). */
  fencingTopology?: string;
  /** A watchdog device per node (its own config file then names it): watchdog self-fencing. */
  watchdogDevice?: (node: PairNode) => string;
  /** sbd disks every node watches (watchdog.sbd_devices; needs watchdogDevice). */
  sbdDevices?: string[];
  /**
   * Start an agent that exits 75 (it stopped everything after a stall as long as the token, as
   * a CPU-starved agent in CI may right after start) again after 2 s, as edgeha.service would
   * (test/support/stall-restart.ts), with the same command; said loudly on stderr. Default on;
   * a test of the stall itself turns it off.
   */
  restartAfterStall?: boolean;
}

export interface ClusterStatus {
  dc: string | null;
  cluster_state: {
    nodes: Array<{ name: string; state: string }>;
    resources: Array<{ id: string; role: string; nodes: string[] }>;
    fencing: Array<{ target: string; state: string; by?: string }>;
    failedActions: Array<{ resource: string; node: string; operation: string }>;
  } | null;
}

export class PairCluster {
  /** The agent each node runs now (a restart after exit 75 replaces the entry). */
  readonly agents = new Map<string, ChildProcess>();
  /** Times each node's agent was started again after exiting 75. */
  readonly restarts = new Map<string, number>();

  constructor(readonly testbed: PairTestbed, readonly options: PairClusterOptions) {}

  get command(): string[] {
    // The bundle with the executable's V8 flags (scripts/v8-flags.json, which scripts/build bakes in).
    const root = this.options.repositoryRoot;
    return this.options.command ?? [process.execPath, ...(JSON.parse(readFileSync(join(root, "scripts", "v8-flags.json"), "utf8")) as string[]), join(root, "dist", "edgeha.cjs")];
  }

  writeConfig(): void {
    const { testbed, options } = this;
    const dir = testbed.directory;
    writeFileSync(join(dir, "authkey"), randomBytes(64), { mode: 0o600 });
    const timing = options.tokenMs === undefined ? [] : [`timing: { token_ms: ${options.tokenMs}, consensus_ms: ${options.consensusMs ?? Math.round(options.tokenMs * 1.2)} }`];
    const lines = [
      "cluster_name: ehpair", `transport: { port: ${options.port} }`, ...timing, ...(options.arbiter ? [`quorum: { arbiter: "${options.arbiter}" }`] : []), `paths: { authkey: ${join(dir, "authkey")} }`, "nodes:",
      ...testbed.nodes.map((node) => `  - { name: ${node.name}, id: ${node.id}, links: [${node.address}] }`),
    ];
    writeFileSync(join(dir, "edgeha.yaml"), [...lines, ""].join("\n"));
    // The nodes of this testbed share one file system: each names its own watchdog in a file of its own.
    if (options.watchdogDevice) for (const node of testbed.nodes) writeFileSync(join(dir, `edgeha-${node.name}.yaml`), [...lines, `watchdog: { device: ${options.watchdogDevice(node)}${options.sbdDevices ? `, sbd_devices: [${options.sbdDevices.join(", ")}]` : ""} }`, ""].join("\n"));
    for (const node of testbed.nodes) {
      testbed.nodeFile(node, "haproxy.cfg", [
        "global", "  maxconn 256", "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s",
        "frontend web", `  bind ${testbed.vip}:80`, `  http-request return status 200 content-type text/plain string ${node.name}`, "",
      ].join("\n"));
    }
    const interval = options.monitorInterval ?? "1s";
    const fence = (node: PairNode) => options.fenceDevice ? options.fenceDevice(node, testbed) : `<primitive id="fence-${node.name}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="fence-${node.name}-i">
          <nvpair id="fence-${node.name}-1" name="ip" value="${node.bmcAddress}"/><nvpair id="fence-${node.name}-2" name="username" value="${testbed.bmcUser}"/>
          <nvpair id="fence-${node.name}-3" name="password" value="${testbed.bmcPassword}"/><nvpair id="fence-${node.name}-4" name="lanplus" value="1"/>
          <nvpair id="fence-${node.name}-5" name="pcmk_host_list" value="${node.name}"/>
        </instance_attributes>
      </primitive>`;
    const daemon = (id: string, binfile: string, args: string) => `<primitive id="${id}" class="ocf" provider="edgeha-test" type="Daemon">
          <instance_attributes id="${id}-i"><nvpair id="${id}-1" name="binfile" value="${binfile}"/><nvpair id="${id}-2" name="args" value="${args}"/></instance_attributes>
          <operations><op id="${id}-m" name="monitor" interval="${interval}" timeout="10s"/></operations>
        </primitive>`;
    const builtin = (id: string, params: Record<string, string>) => `<primitive id="${id}" class="builtin" type="${id}">
          <instance_attributes id="${id}-i">${Object.entries(params).map(([key, value], index) => `<nvpair id="${id}-${index}" name="${key}" value="${value}"/>`).join("")}</instance_attributes>
          <operations><op id="${id}-m" name="monitor" interval="${interval}" timeout="10s"/></operations>
        </primitive>`;
    const vip = options.vipAgent !== "IPaddr2"
      ? `<primitive id="vip" class="builtin" type="ipaddr">
          <instance_attributes id="vip-i"><nvpair id="vip-1" name="ip" value="${testbed.vip}"/><nvpair id="vip-2" name="cidr_netmask" value="24"/></instance_attributes>
          <operations><op id="vip-m" name="monitor" interval="${interval}" timeout="10s"/></operations>
        </primitive>`
      : `<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
          <instance_attributes id="vip-i"><nvpair id="vip-1" name="ip" value="${testbed.vip}"/><nvpair id="vip-2" name="cidr_netmask" value="24"/><nvpair id="vip-3" name="nic" value="eth0"/></instance_attributes>
          <operations><op id="vip-m" name="monitor" interval="${interval}" timeout="10s"/></operations>
        </primitive>`;
    const delay = (options.priorityFencingDelay ? `<nvpair id="o2" name="priority-fencing-delay" value="${options.priorityFencingDelay}"/>` : "")
      + Object.entries(options.properties ?? {}).map(([name, value], index) => `<nvpair id="op${index}" name="${name}" value="${value}"/>`).join("");
    writeFileSync(join(dir, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-enabled" value="true"/>${delay}
    </cluster_property_set></crm_config>
    <nodes/>
    <resources>
      ${fence(testbed.nodes[0]!)}
      ${fence(testbed.nodes[1]!)}
      <group id="edge">
        <meta_attributes id="edge-meta"><nvpair id="edge-p" name="priority" value="10"/></meta_attributes>
        ${vip}
        ${options.daemons === "test-agent" ? daemon("haproxy", "/usr/sbin/haproxy", "-db -f /run/edgeha/files/haproxy.cfg") : builtin("haproxy", { config: "/run/edgeha/files/haproxy.cfg", check_address: `${testbed.vip}:80` })}
        ${options.daemons === "test-agent" ? daemon("memcached", "/usr/bin/memcached", `-p 11211 -l ${testbed.vip} -u nobody -m 16`) : builtin("memcached", { listen: testbed.vip, port: "11211", memory: "16", user: "nobody" })}
      </group>
    </resources>
    <constraints>${options.preferredNode ? `<rsc_location id="prefer-edge" rsc="edge" node="${options.preferredNode}" score="50"/>` : ""}</constraints>
    ${options.fencingTopology ? `<fencing-topology>${options.fencingTopology}</fencing-topology>` : ""}
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/>${options.migrationThreshold ? `<nvpair id="rd2" name="migration-threshold" value="${options.migrationThreshold}"/>` : ""}</meta_attributes></rsc_defaults>
  </configuration>
  <status/>
</cib>`);
  }

  /** An OCF root with resource-agents' heartbeat agents and this repository's test agents. */
  ocfRoot(): string {
    const root = join(this.testbed.directory, "ocf");
    if (existsSync(join(root, "resource.d"))) return root;
    mkdirSync(join(root, "resource.d"), { recursive: true });
    if (!existsSync(join(root, "lib"))) symlinkSync("/usr/lib/ocf/lib", join(root, "lib"));
    if (!existsSync(join(root, "resource.d", "heartbeat"))) symlinkSync("/usr/lib/ocf/resource.d/heartbeat", join(root, "resource.d", "heartbeat"));
    if (!existsSync(join(root, "resource.d", "edgeha-test"))) symlinkSync(join(this.options.repositoryRoot, "test", "fixtures", "ocf", "resource.d", "edgeha-test"), join(root, "resource.d", "edgeha-test"));
    return root;
  }

  socket(node: PairNode): string {
    return join(this.testbed.directory, `${node.name}.sock`);
  }

  /** Starts the agent of a node; `command` runs another build than the cluster's (the upgrade test's older one). */
  startAgent(node: PairNode, command: string[] = this.command): ChildProcess {
    const dir = this.testbed.directory;
    const agent = this.testbed.spawn(node, [...command, "agent", "--config", join(dir, this.options.watchdogDevice ? `edgeha-${node.name}.yaml` : "edgeha.yaml"), "--node", node.name, "--socket", this.socket(node), "--state-dir", join(dir, `state-${node.name}`), "--initial-cib", join(dir, "cib.xml")], `${node.name}.log`, { OCF_ROOT: this.ocfRoot() });
    this.agents.set(node.name, agent);
    if (this.options.restartAfterStall !== false) {
      // Only the agent the node still runs (not one the test killed or replaced), and not after the testbed is gone.
      restartAfterStall(node.name, agent, () => this.agents.get(node.name) === agent && !this.testbed.destroyed, () => {
        this.restarts.set(node.name, (this.restarts.get(node.name) ?? 0) + 1);
        this.startAgent(node, command);
      });
    }
    return agent;
  }

  /** `edgeha status` on a node, as text or parsed JSON. */
  statusText(node: PairNode, json = false): string | undefined {
    const result = this.testbed.exec(node.namespace, [...this.command, "status", ...(json ? ["--json"] : []), "--socket", this.socket(node)]);
    return result.status === 0 ? result.stdout : undefined;
  }

  status(node: PairNode): ClusterStatus | undefined {
    const text = this.statusText(node, true);
    if (text === undefined) return undefined;
    try { return JSON.parse(text) as ClusterStatus; } catch { return undefined; }
  }

  /** One HTTP request to the VIP from the client: the name of the node that answered. */
  ask(timeoutSeconds = 0.5): string | undefined {
    const result = this.testbed.exec(this.testbed.clientNs, ["curl", "-s", "-m", String(timeoutSeconds), `http://${this.testbed.vip}/`], 3000);
    return result.status === 0 && /^node\d$/.test(result.stdout.trim()) ? result.stdout.trim() : undefined;
  }

  /** A real memcached `version` request to the VIP from the client. */
  memcachedVersion(): string | undefined {
    const result = this.testbed.exec(this.testbed.clientNs, ["bash", "-c", `exec 3<>/dev/tcp/${this.testbed.vip}/11211 && printf 'version\\r\\n' >&3 && read -t 2 line <&3 && echo "$line"`], 4000);
    return result.status === 0 && result.stdout.startsWith("VERSION") ? result.stdout.trim() : undefined;
  }

  other(name: string): PairNode {
    return this.testbed.nodes.find((node) => node.name !== name)!;
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- node1 ---\n${this.testbed.log("node1.log").slice(-3000)}\n--- node2 ---\n${this.testbed.log("node2.log").slice(-3000)}`);
  }
}
