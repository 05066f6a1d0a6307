// What the failover benchmarks share: the cluster stacks they run on the namespace testbed
// (edgeha here; the peers in peers.ts), and small helpers. Imported by peers.ts and
// false-failover.ts.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Testbed, NodeName } from "../../test/support/testbed";

export const root = resolve(process.env.EDGEHA_ROOT ?? process.cwd());
export const PORT = 34900;
export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
export const NODES: NodeName[] = ["node1", "node2"];
export const other = (name: NodeName): NodeName => (name === "node1" ? "node2" : "node1");

export interface Config {
  name: string;
  params: Record<string, unknown>;
  start(testbed: Testbed, node: NodeName): void;
  /** After both nodes started once (CIB setup). */
  configure?(testbed: Testbed): Promise<void>;
  /** True once the node is a full member again. */
  settled(testbed: Testbed): boolean;
  stackPattern: RegExp;
  /**
   * The fault of one run: power loss of the VIP holder unless given (edgeha-sigterm: SIGTERM
   * to the holder's agent, what `systemctl stop` sends; the node stays up and leaves cleanly).
   */
  fault?: { name: string; apply(testbed: Testbed, node: NodeName): void; repair(testbed: Testbed, node: NodeName): Promise<void> };
}

// edgeha: `edgeha agent --config FILE --node NAME` on each machine with a bootstrap
// config and an initial CIB: a group of VIP (built-in ipaddr) + haproxy + memcached, 1 s
// monitors, stonith enabled with fence_ipmilan devices against the testbed's BMCs.
export const EDGEHA_PORT = 34910;
/**
 * Every agent serves its metrics and status page on its machine's 127.0.0.1:9664 (ha_cluster_exporter's
 * port), scraped during the idle minute (see peers.ts); EDGEHA_METRICS=off runs without.
 */
export const METRICS_LISTEN = process.env.EDGEHA_METRICS === "off" ? undefined : "127.0.0.1:9664";
/** EDGEHA_TIMING="heartbeat_ms: 200, token_ms: 600" runs edgeha with that timing instead of the defaults. */
const edgehaTiming = process.env.EDGEHA_TIMING?.trim();
export interface EdgehaOptions {
  /** The command that starts the agent on a node, from the one the pair would use (a copy per node, a cgroup). */
  agentCommand?(node: NodeName, argv: string[]): string[];
}

export function edgeha(options: EdgehaOptions = {}): Config {
  const executable = process.env.EDGEHA ? [process.env.EDGEHA] : [join(root, "dist", "edgeha")];
  const socket = "/run/edgeha/agent.sock";
  const statusOf = (testbed: Testbed, node: NodeName) => {
    const result = testbed.exec(node, [...executable, "status", "--json", "--socket", socket]);
    try { return result.status === 0 ? JSON.parse(result.stdout) as { cluster_state?: { nodes: Array<{ state: string }>; resources: Array<{ id: string; role: string }> } } : undefined; } catch { return undefined; }
  };
  return {
    name: "edgeha",
    params: { timing: edgehaTiming ? `EDGEHA_TIMING: ${edgehaTiming}` : "edgeha defaults", metrics: METRICS_LISTEN ?? "off", "stonith-enabled": true, fence: "fence_ipmilan devices against ipmi_sim (edgeha's ipmilan driver)", monitor: "1s", resources: "group: built-in ipaddr VIP + haproxy + memcached", "resource-stickiness": 100 },
    start(testbed, node) {
      const dir = testbed.directory;
      if (!existsSync(join(dir, "edgeha.yaml"))) {
        writeFileSync(join(dir, "authkey"), authkey(testbed).subarray(0, 64), { mode: 0o600 });
        writeFileSync(join(dir, "edgeha.yaml"), ["cluster_name: ehbench", `transport: { port: ${EDGEHA_PORT} }`, ...(edgehaTiming ? [`timing: { ${edgehaTiming} }`] : []), ...(METRICS_LISTEN ? [`metrics: { listen: "${METRICS_LISTEN}" }`] : []), `paths: { authkey: ${join(dir, "authkey")} }`, "nodes:",
          ...NODES.map((name, index) => `  - { name: ${name}, id: ${index + 1}, links: [${testbed.host(name).addresses[0]}] }`), ""].join("\n"));
        const op = (id: string) => `<operations><op id="${id}-m" name="monitor" interval="1s" timeout="10s"/></operations>`;
        const attrs = (id: string, params: Record<string, string>) => `<instance_attributes id="${id}-i">${Object.entries(params).map(([k, v], i) => `<nvpair id="${id}-${i}" name="${k}" value="${v}"/>`).join("")}</instance_attributes>`;
        const fence = (name: NodeName) => `<primitive id="fence-${name}" class="stonith" type="fence_ipmilan">${attrs(`fence-${name}`, { ip: testbed.host(name).bmcAddress!, username: testbed.bmcUser, password: testbed.bmcPassword, lanplus: "1", pcmk_host_list: name })}</primitive>`;
        writeFileSync(join(dir, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config><nodes/>
<resources>${fence("node1")}${fence("node2")}<group id="edge">
<primitive id="vip" class="builtin" type="ipaddr">${attrs("vip", { ip: testbed.vip, cidr_netmask: "24" })}${op("vip")}</primitive>
<primitive id="haproxy" class="builtin" type="haproxy">${attrs("haproxy", { config: "/run/edgeha/haproxy.cfg", check_address: `${testbed.vip}:${PORT}` })}${op("haproxy")}</primitive>
<primitive id="memcached" class="builtin" type="memcached">${attrs("memcached", { listen: testbed.vip, port: "11211", memory: "16", user: "nobody" })}${op("memcached")}</primitive>
</group></resources><constraints/>
<rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
</configuration><status/></cib>`);
      }
      // The machine's /run is its own and empty after a boot: its haproxy config goes there.
      testbed.exec(node, ["sh", "-c", "mkdir -p /run/edgeha && cat > /run/edgeha/haproxy.cfg"], { input: ["global", "  maxconn 256", "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s", "frontend web", `  bind ${testbed.vip}:${PORT}`, `  http-request return status 200 content-type text/plain string ${node}`, ""].join("\n") });
      const argv = [...executable, "agent", "--config", join(dir, "edgeha.yaml"), "--node", node, "--socket", socket, "--state-dir", join(testbed.host(node).state, "edgeha-state"), "--initial-cib", join(dir, "cib.xml")];
      testbed.spawn(node, options.agentCommand?.(node, argv) ?? argv, { logFile: join(dir, `${node}-edgeha.log`) });
    },
    settled(testbed) {
      const node = holder(testbed);
      const status = node && statusOf(testbed, node);
      return Boolean(status && status.cluster_state?.nodes.every((each) => each.state === "online") && status.cluster_state.resources.filter((r) => ["vip", "haproxy", "memcached"].includes(r.id)).every((r) => r.role === "Started"));
    },
    // The agent only (its haproxy's command line names /run/edgeha too).
    stackPattern: /edgeha(\.cjs)? agent /,
  };
}

/** edgeha, where each run's fault is a SIGTERM to the holder's agent (a clean leave) instead of a power loss. */
export function edgehaSigterm(options: EdgehaOptions = {}): Config {
  const base = edgeha(options);
  const agentPids = (testbed: Testbed, node: NodeName) => testbed.pids(node).filter((pid) => {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      return base.stackPattern.test(command) && !/^(sh|nsenter) /.test(command);
    } catch {
      return false;
    }
  });
  return {
    ...base,
    name: "edgeha-sigterm",
    params: { ...base.params, fault: "SIGTERM to the VIP holder's agent (systemctl stop): a clean leave, the group moves, no fencing" },
    fault: {
      name: "SIGTERM",
      apply(testbed, node) {
        for (const pid of agentPids(testbed, node)) process.kill(pid, "SIGTERM");
      },
      async repair(testbed, node) {
        // The agent exits by itself once its resources moved; then it is started again.
        await waitFor(`${node}'s agent to exit after its leave`, 60_000, () => agentPids(testbed, node).length === 0);
        base.start(testbed, node);
      },
    },
  };
}

let key: Buffer | undefined;
export function authkey(_testbed: Testbed): Buffer {
  key ??= Buffer.from(Array.from({ length: 256 }, () => Math.floor(Math.random() * 256)));
  return key;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | false | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The node whose eth0 holds the VIP, if exactly one does. */
export function holder(testbed: Testbed): NodeName | undefined {
  const holders = NODES.filter((node) => testbed.powered(node) && testbed.exec(node, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.includes(` ${testbed.vip}/`));
  return holders.length === 1 ? holders[0] : undefined;
}

