// The amd64 package on two machines of the test's own making, each with systemd as PID 1
// (test/support/machine.ts): installing starts nothing; `systemctl enable --now edgeha` brings
// the unit up with READY=1 and a STATUS= line; `systemctl stop` on the node that holds the VIP
// group is a clean leave: the group runs on the peer, the fence device (fencing enabled,
// recording every call) is never asked to fence, the stopped node holds no VIP and no haproxy,
// and the unit exited 0. Warnings reach the journal with their priority. A stalled agent
// (SIGSTOP) is killed by the systemd watchdog and restarted. The last node, stopped, stops
// its resources itself and exits 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, writeFileSync, chmodSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { canUseNamespaces, hasCommand } from "../../support/environment";
import { ensurePackages } from "../../support/build";
import { connectMachines, startMachine, type Machine } from "../../support/machine";

const missing = !canUseNamespaces() ? "(needs root and namespaces)"
  : !existsSync("/lib/systemd/systemd") || !hasCommand("systemctl") ? "(needs systemd)"
  : !hasCommand("haproxy") || !hasCommand("arping") ? "(needs haproxy and arping)" : "";

const VIP = "10.77.0.100";
const ADDRESSES: Record<string, string> = { node1: "10.77.0.1", node2: "10.77.0.2" };

const CONFIG = `cluster_name: ehsvc
nodes:
  - { name: node1, id: 1, links: [${ADDRESSES.node1}] }
  - { name: node2, id: 2, links: [${ADDRESSES.node2}] }
`;

/** A fence agent that records every call (its action and target) and claims success. */
const RECORDER = `#!/bin/sh
action=reboot; target=
while IFS='=' read -r key value; do
  case "$key" in action) action=$value ;; port|plug|nodename) target=$value ;; esac
done
echo "$action $target" >> /var/log/eh-fence-calls
case "$action" in
  metadata) cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_ehrecord" shortdesc="records every call (edgeha's service test)">
<parameters>
<parameter name="action"><content type="string" default="reboot"/><shortdesc>action</shortdesc></parameter>
<parameter name="port"><content type="string"/><shortdesc>target</shortdesc></parameter>
</parameters>
<actions><action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="list"/><action name="monitor"/><action name="metadata"/></actions>
</resource-agent>
XML
  ;;
  list) printf 'node1\\nnode2\\n' ;;
esac
exit 0
`;

const haproxyConfig = (name: string) => [
  "global", "  maxconn 64", "defaults", "  mode http", "  timeout connect 1s", "  timeout client 5s", "  timeout server 5s",
  "frontend web", `  bind ${VIP}:80`, `  http-request return status 200 content-type text/plain string ${name}`, "",
].join("\n");

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function unitProperty(machine: Machine, property: string): string {
  return machine.exec(["systemctl", "show", "-p", property, "--value", "edgeha.service"]).stdout.trim();
}

describe.skipIf(missing !== "")(`the edgeha package on two machines with systemd ${missing}`, () => { // skipped: without root and namespaces, systemd, haproxy or arping (the title names what is missing)
  const machines: Record<string, Machine> = {};
  let deb = "";
  let enabledAtMs = 0;

  beforeAll(async () => {
    deb = ensurePackages().amd64;
    for (const name of ["node1", "node2"]) machines[name] = await startMachine(name);
    connectMachines(machines.node1!, `${ADDRESSES.node1}/24`, machines.node2!, `${ADDRESSES.node2}/24`);
  }, 900_000);

  afterAll(() => {
    for (const machine of Object.values(machines)) machine.stop();
  });

  const sh = (machine: Machine, script: string, timeoutMs = 60_000) => machine.exec(["sh", "-c", script], { timeoutMs });
  const edgeha = (machine: Machine, ...args: string[]) => machine.exec(["edgeha", ...args], { timeoutMs: 60_000 });
  const vipHolder = () => Object.values(machines).find((machine) => sh(machine, `ip -o addr show dev eth1 | grep -q ' ${VIP}/'`).status === 0);
  /** Both nodes' status (with the transitions the DC ran), recorded transitions and journal: printed when a case fails. */
  const diagnose = (lines = 20) => Object.values(machines).map((machine) => `==== ${machine.name}\n${sh(machine, `edgeha status --full 2>&1 | sed -n '/^Full List/,/^Node Attributes/p;/^Recent Transitions/,$p'; edgeha history --limit 12 2>&1; journalctl -u edgeha --no-pager -o cat | grep -v probe | tail -${lines}`).stdout}`).join("\n");
  /** Each successful start of `resource` logged by either agent since `sinceMs`, as "NODE TIME". */
  const startsSince = (resource: string, sinceMs: number) => Object.values(machines).flatMap((machine) => sh(machine, "journalctl -u edgeha --no-pager -o cat").stdout.split("\n")
    .filter((line) => line.startsWith("{") && line.includes(`"Result of start operation for ${resource} on `))
    .map((line) => JSON.parse(line) as { time: string; rc: number; node: string })
    .filter((entry) => entry.rc === 0 && Date.parse(entry.time) >= sinceMs)
    .map((entry) => `${entry.node} ${entry.time}`));
  const fenceCalls = (machine: Machine) => sh(machine, "cat /var/log/eh-fence-calls 2>/dev/null").stdout.trim().split("\n").filter(Boolean);

  it("installs without starting or enabling the service, and makes the haclient group", () => {
    for (const machine of Object.values(machines)) {
      mkdirSync(path.join(machine.root, "root"), { recursive: true });
      copyFileSync(deb, path.join(machine.root, "root", "edgeha.deb"));
      const installed = machine.exec(["dpkg", "-i", "/root/edgeha.deb"], { timeoutMs: 180_000 });
      expect(installed.status, installed.stderr).toBe(0);
      expect(machine.exec(["systemctl", "is-active", "edgeha.service"]).stdout.trim()).toBe("inactive");
      expect(machine.exec(["systemctl", "is-enabled", "edgeha.service"]).stdout.trim()).toBe("disabled");
      expect(machine.exec(["getent", "group", "haclient"]).status).toBe(0);
      expect(machine.exec(["man", "-w", "edgeha.yaml"]).stdout).toMatch(/edgeha\.yaml\.5\.gz/);
      // A fresh machine: the package's state directory holds nothing yet (no CIB from elsewhere).
      expect(sh(machine, "stat -c %a /var/lib/edgeha && ls -A /var/lib/edgeha").stdout.trim()).toBe("700");
    }
  }, 400_000);

  it("enable --now: READY=1 once the pair has joined, and a STATUS= line", async () => {
    expect(edgeha(machines.node1!, "keygen").status).toBe(0);
    const key = readFileSync(path.join(machines.node1!.root, "etc/edgeha/authkey"));
    for (const [name, machine] of Object.entries(machines)) {
      writeFileSync(path.join(machine.root, "etc/edgeha/edgeha.yaml"), CONFIG);
      writeFileSync(path.join(machine.root, "etc/edgeha/authkey"), key, { mode: 0o600 });
      mkdirSync(path.join(machine.root, "etc/haproxy"), { recursive: true });
      writeFileSync(path.join(machine.root, "etc/haproxy/eh-web.cfg"), haproxyConfig(name));
      writeFileSync(path.join(machine.root, "usr/sbin/fence_ehrecord"), RECORDER);
      chmodSync(path.join(machine.root, "usr/sbin/fence_ehrecord"), 0o755);
    }
    enabledAtMs = Date.now();
    for (const machine of Object.values(machines)) {
      // systemctl waits for READY=1 (Type=notify): active means the agent said it joined.
      const started = machine.exec(["systemctl", "enable", "--now", "edgeha.service"], { timeoutMs: 150_000 });
      expect(started.status, `${started.stderr}\n${sh(machine, "journalctl -u edgeha --no-pager | tail -20").stdout}`).toBe(0);
    }
    for (const machine of Object.values(machines)) expect(machine.exec(["systemctl", "is-active", "edgeha.service"]).stdout.trim()).toBe("active");
    await until("both nodes online in STATUS=", () => Object.values(machines).every((machine) => /^DC node\d, 2\/2 online, \d+ started$/.test(unitProperty(machine, "StatusText"))), 30_000);
  }, 300_000);

  it("runs a VIP group with fencing on, managed through the admin socket", async () => {
    const node1 = machines.node1!;
    for (const args of [
      ["property", "set", "stonith-enabled=true"],
      ["stonith", "create", "fence-record", "fence_ehrecord", "pcmk_host_list=node1 node2"],
      ["resource", "create", "vip", "builtin:ipaddr", `ip=${VIP}`, "cidr_netmask=24", "nic=eth1", "op", "monitor", "interval=1s", "--group", "web"],
      ["resource", "create", "proxy", "builtin:haproxy", "config=/etc/haproxy/eh-web.cfg", `check_address=${VIP}:80`, "op", "monitor", "interval=1s", "--group", "web"],
    ]) {
      const result = edgeha(node1, ...args);
      expect(result.status, `edgeha ${args.join(" ")}: ${result.stderr}`).toBe(0);
    }
    const holder = await until("the VIP group to start", vipHolder, 60_000);
    await until("haproxy to answer through the VIP", () => sh(holder, `curl -s -m 1 http://${VIP}/`).stdout === holder.name, 30_000);
    await until("the status line to count the group", () => /, [3-9] started$/.test(unitProperty(holder, "StatusText")), 30_000);
  }, 200_000);

  it("systemctl stop on the VIP holder is a clean leave: the group moves, nothing is fenced, the unit exits 0", async () => {
    const holder = vipHolder()!;
    const peer = Object.values(machines).find((machine) => machine !== holder)!;
    const stopped = holder.exec(["systemctl", "stop", "edgeha.service"], { timeoutMs: 200_000 });
    expect(stopped.status, stopped.stderr).toBe(0);
    // The unit exited by itself with status 0 (not killed at the stop timeout).
    expect(unitProperty(holder, "Result")).toBe("success");
    expect(unitProperty(holder, "ExecMainStatus")).toBe("0");
    expect(unitProperty(holder, "ActiveState")).toBe("inactive");
    // The stopped node holds nothing any more.
    expect(sh(holder, `ip -o addr show dev eth1`).stdout).not.toContain(`${VIP}/`);
    expect(holder.exec(["pgrep", "-x", "haproxy"]).status).toBe(1);
    // The peer serves the group.
    await until("the peer to serve through the VIP", () => sh(peer, `curl -s -m 1 http://${VIP}/`).stdout === peer.name, 60_000);
    expect(vipHolder()).toBe(peer);
    expect(peer.exec(["pgrep", "-x", "haproxy"]).status).toBe(0);
    // Fencing was on and its device records every call: none of them fenced anyone.
    for (const machine of Object.values(machines)) {
      const calls = fenceCalls(machine);
      expect(calls.filter((call) => /^(off|reboot|on) /.test(call)), `${machine.name}: ${calls.join("; ")}`).toEqual([]);
    }
    // The leave is in the journal; warnings are filed as warnings, the rest is not shown at -p warning.
    expect(sh(holder, "journalctl -u edgeha --no-pager -o cat").stdout).toMatch(/"msg":"leaving the cluster"/);
    const priorities = sh(holder, "journalctl -u edgeha --no-pager -o json -p warning").stdout.trim().split("\n").filter(Boolean).map((line) => Number((JSON.parse(line) as { PRIORITY: string }).PRIORITY));
    expect(priorities.every((priority) => priority <= 4)).toBe(true);
    const all = sh(holder, "journalctl -u edgeha --no-pager -o json").stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as { PRIORITY: string; MESSAGE: string });
    const agentLines = all.filter((entry) => typeof entry.MESSAGE === "string" && entry.MESSAGE.startsWith("{"));
    expect(agentLines.length).toBeGreaterThan(0);
    for (const entry of agentLines) {
      const level = (JSON.parse(entry.MESSAGE) as { level: number }).level;
      expect(Number(entry.PRIORITY), entry.MESSAGE).toBe(level >= 50 ? 3 : level >= 40 ? 4 : level >= 30 ? 6 : 7);
    }
  }, 300_000);

  it("a stalled agent (SIGSTOP) is killed by the systemd watchdog and restarted", async () => {
    const peer = vipHolder()!;
    // A healthy agent feeds the watchdog: after more than twice WatchdogSec (10 s) it still runs, never restarted.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, enabledAtMs + 25_000 - Date.now())));
    expect(unitProperty(peer, "NRestarts")).toBe("0");
    expect(unitProperty(peer, "ActiveState")).toBe("active");
    expect(sh(peer, "journalctl -u edgeha --no-pager -o cat").stdout).not.toMatch(/Watchdog timeout/);
    const before = Number(unitProperty(peer, "MainPID"));
    const restarts = Number(unitProperty(peer, "NRestarts"));
    expect(peer.exec(["kill", "-STOP", String(before)]).status).toBe(0);
    // WatchdogSec=10s in the unit: killed about 10 s later, restarted 2 s after that.
    await until("the watchdog to restart the agent", () => Number(unitProperty(peer, "NRestarts")) > restarts && Number(unitProperty(peer, "MainPID")) > 0 && Number(unitProperty(peer, "MainPID")) !== before, 60_000)
      .catch((error: Error) => { throw new Error(`${error.message}\n${sh(peer, "systemctl status edgeha --no-pager; journalctl -u edgeha --no-pager -o cat | grep -v '^{' | tail -20").stdout}`); });
    expect(sh(peer, "journalctl -u edgeha --no-pager -o cat").stdout).toMatch(/Watchdog timeout/);
    await until("the restarted agent to be ready", () => peer.exec(["systemctl", "is-active", "edgeha.service"]).stdout.trim() === "active", 60_000);
  }, 200_000);

  it("the last node of the cluster stops its resources when stopped, and exits 0", async () => {
    // The node restarted by the watchdog is alone and, as a two_node pair waits for all
    // (corosync's wait_for_all), runs nothing until it has seen its peer (it stops the VIP its
    // kill left on the link): start the peer stopped earlier, let the pair run the group, then
    // stop the other node (a clean leave) so that the holder is the last node of the cluster.
    const startedAtMs = Date.now();
    for (const machine of Object.values(machines)) {
      if (machine.exec(["systemctl", "is-active", "edgeha.service"]).stdout.trim() === "active") continue;
      const started = machine.exec(["systemctl", "start", "edgeha.service"], { timeoutMs: 150_000 });
      expect(started.status, started.stderr).toBe(0);
    }
    // The pair has just formed again (one agent was restarted by the watchdog) and places the
    // group, stopped everywhere, once: the same holder with the VIP and haproxy in 11 polls in a
    // row (2 s or more) before the other node leaves.
    let seen: Machine | undefined;
    let steady = 0;
    const last = await until("the group to run on one node, settled", () => {
      const holder = vipHolder();
      const running = holder && holder.exec(["pgrep", "-x", "haproxy"]).status === 0 ? holder : undefined;
      steady = running !== undefined && running === seen ? steady + 1 : 0;
      seen = running;
      return steady >= 10 ? running : undefined;
    }, 90_000).catch((error: Error) => { throw new Error(`${error.message}\n${diagnose()}`); });
    // Started once, never moved nor restarted. With the default resource-stickiness 0 Pacemaker
    // balances by resource count: the fence device on one node, the group on the other, and a
    // started resource stays where it runs while the counts tie. (Both clean-clone CIs of shift 6
    // failed here: the machines saw this host's /var/lib/edgeha, a CIB holding a Dummy r2 that
    // no test created; r2 failed to start on each node in turn, each failure changed the counts,
    // and the group started on one node was moved to the other a transition later, which is
    // what Pacemaker does with that configuration. test/support/machine.ts now hides that state.)
    expect(startsSince("vip", startedAtMs), diagnose(40)).toHaveLength(1);
    const other = Object.values(machines).find((machine) => machine !== last)!;
    const left = other.exec(["systemctl", "stop", "edgeha.service"], { timeoutMs: 200_000 });
    expect(left.status, left.stderr).toBe(0);
    expect(vipHolder(), `last ${last.name}, other ${other.name}\n${diagnose()}`).toBe(last);
    // The holder has seen the peer go (its view has it alone) before it is stopped in turn.
    await until("the holder to see itself alone", () => /, 1\/2 online, /.test(unitProperty(last, "StatusText")), 30_000);
    const stoppingAtMs = Date.now();
    const stopped = last.exec(["systemctl", "stop", "edgeha.service"], { timeoutMs: 200_000 });
    expect(stopped.status, stopped.stderr).toBe(0);
    // A routine stop: its own DC planned nothing against the leave (before, it started again
    // what the leave stopped: starts refused, transitions failed, an error about the retries).
    const complaints = sh(last, "journalctl -u edgeha --no-pager -o cat").stdout.split("\n").filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { time: string; level: number; msg: string })
      .filter((entry) => Date.parse(entry.time) >= stoppingAtMs && (entry.level >= 50 || (entry.level >= 40 && /^(operation failed|transition finished)$/.test(entry.msg))));
    expect(complaints.map((entry) => entry.msg)).toEqual([]);
    expect(unitProperty(last, "Result")).toBe("success");
    expect(unitProperty(last, "ExecMainStatus")).toBe("0");
    expect(vipHolder(), `last ${last.name}, other ${other.name}\n${Object.values(machines).map((machine) => `${machine.name}: ${sh(machine, "journalctl -u edgeha --no-pager -o cat | grep -v probe | tail -12").stdout}`).join("\n")}`).toBeUndefined();
    expect(last.exec(["pgrep", "-x", "haproxy"]).status).toBe(1);
    expect(sh(last, "journalctl -u edgeha --no-pager -o cat").stdout).toMatch(/last node of the cluster/);
  }, 300_000);
});

