// Failover time of the peers — keepalived and Pacemaker + Corosync — on the project's
// namespace testbed (test/support/testbed), measured the way bench/failover/edgeha.ts
// measures edgeha: from the power loss of the node holding the VIP (every process of the
// machine killed, its cable unplugged, exactly what its BMC's power-off does) to the first
// HTTP answer through the VIP that names the survivor. The client probe asks every 20 ms
// (150 ms timeout). Kill moments are jittered (0.3-1.3 s after the probe starts, plus a
// random wait before). After each run the lost node is powered on, its stack restarted,
// and the pair left to settle. Before the runs: the idle CPU of one node's stack, then its
// memory (the page cache is dropped once, before the stacks start, as after a boot).
// Run through bench/failover/peers.sh (needs root). CONFIGS=keepalived-default,... RUNS=10.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Testbed, type NodeName } from "../../test/support/testbed";
import { METRICS_LISTEN, NODES, PORT, authkey, edgeha, edgehaSigterm, holder, other, root, sleep, waitFor, type Config } from "./stacks";

const runs = Number(process.env.RUNS ?? 10);
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 60);
// The idle window is the settled stack's steady state (issue 21 compares it with keepalived's and
// Pacemaker's idle): it starts SETTLE_SECONDS after the stack first settled, past the one-time
// work of a start (edgeha: its first monitors, V8's first memory-reducing GC about 10 s after
// start, the malloc_trim 30 s after start). Until 7 Dec 2026 the window began at the settle
// itself, so a 30 s window counted the start's tail too. SETTLE_SECONDS=0 gives the old window.
const settleSeconds = Number(process.env.SETTLE_SECONDS ?? 30);

function keepalived(name: string, version: 2 | 3, advert: number): Config {
  return {
    name,
    params: { vrrp_version: version, advert_int: advert, unicast: true, nopreempt: true, priority: "100/100", responder: "haproxy on both nodes, always running" },
    start(testbed, node) {
      const self = testbed.host(node).addresses[0];
      const peer = testbed.host(other(node)).addresses[0];
      const file = join(testbed.directory, `${node}-keepalived.conf`);
      writeFileSync(file, `global_defs {\n  router_id eh-${node}\n  vrrp_version ${version}\n}\nvrrp_instance VIP {\n  state BACKUP\n  nopreempt\n  interface eth0\n  virtual_router_id 42\n  priority 100\n  advert_int ${advert}\n  unicast_src_ip ${self}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    ${testbed.vip}/24 dev eth0\n  }\n}\n`);
      testbed.spawn(node, ["keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", file], { logFile: join(testbed.directory, `${node}-keepalived.log`) });
    },
    settled: (testbed) => NODES.every((node) => testbed.exec(node, ["pgrep", "-c", "keepalived"]).stdout.trim() !== "0"),
    stackPattern: /keepalived/,
  };
}

function pacemaker(name: string, token: number | undefined, fencing: boolean): Config {
  return {
    name,
    params: { transport: "knet", crypto: "aes256/sha256", token_ms: token ?? "default (3000)", consensus_ms: token ? Math.round(token * 1.2) : "default", two_node: 1, "stonith-enabled": fencing, fence: fencing ? "fence_ipmilan lanplus against ipmi_sim, cipher 3, pcmk_reboot_action=off" : "none", "no-quorum-policy": "ignore", "resource-stickiness": 100, monitor: token ? "1s" : "10s", resources: "IPaddr2 VIP (responder: haproxy on both nodes, always running)" },
    start(testbed, node) {
      const state = join(testbed.host(node).state, "etc-corosync");
      const totem = token ? `  token: ${token}\n  consensus: ${Math.round(token * 1.2)}\n` : "";
      writeFileSync(join(state, "corosync.conf"), `totem {\n  version: 2\n  cluster_name: ehpeers\n  transport: knet\n  crypto_cipher: aes256\n  crypto_hash: sha256\n${totem}}\nnodelist {\n  node {\n    ring0_addr: ${testbed.host("node1").addresses[0]}\n    name: node1\n    nodeid: 1\n  }\n  node {\n    ring0_addr: ${testbed.host("node2").addresses[0]}\n    name: node2\n    nodeid: 2\n  }\n}\nquorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\nlogging {\n  to_logfile: yes\n  logfile: /var/log/cluster/corosync.log\n  to_stderr: no\n  to_syslog: no\n  timestamp: hires\n}\n`);
      writeFileSync(join(state, "authkey"), authkey(testbed), { mode: 0o400 });
      testbed.spawn(node, ["corosync", "-f"], { logFile: join(testbed.directory, `${node}-corosync.out`) });
      testbed.spawn(node, ["sh", "-c", "for i in $(seq 100); do corosync-cfgtool -s >/dev/null 2>&1 && exec pacemakerd -f; sleep 0.1; done; exit 1"], { logFile: join(testbed.directory, `${node}-pacemakerd.out`) });
    },
    async configure(testbed) {
      await waitFor("both Pacemaker nodes online", 90_000, () => /Online:\s*\[\s*node1 node2\s*\]/.test(testbed.exec("node1", ["crm_mon", "-1"]).stdout));
      const set = (name: string, value: string) => testbed.exec("node1", ["crm_attribute", "-t", "crm_config", "-n", name, "-v", value]);
      set("stonith-enabled", String(fencing));
      set("no-quorum-policy", "ignore");
      testbed.exec("node1", ["crm_attribute", "-t", "rsc_defaults", "-n", "resource-stickiness", "-v", "100"]);
      const monitor = token ? "1s" : "10s";
      const resources = [`<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="${testbed.vip}"/><nvpair id="vip-mask" name="cidr_netmask" value="24"/><nvpair id="vip-nic" name="nic" value="eth0"/></instance_attributes><operations><op id="vip-mon" name="monitor" interval="${monitor}"/></operations></primitive>`];
      if (fencing) {
        for (const node of NODES) {
          const host = testbed.host(node);
          resources.push(`<primitive id="fence-${node}" class="stonith" type="fence_ipmilan"><instance_attributes id="fence-${node}-ia"><nvpair id="fence-${node}-ip" name="ip" value="${host.bmcAddress}"/><nvpair id="fence-${node}-user" name="username" value="${testbed.bmcUser}"/><nvpair id="fence-${node}-pw" name="password" value="${testbed.bmcPassword}"/><nvpair id="fence-${node}-lan" name="lanplus" value="1"/><nvpair id="fence-${node}-hosts" name="pcmk_host_list" value="${node}"/><nvpair id="fence-${node}-action" name="pcmk_reboot_action" value="off"/><nvpair id="fence-${node}-cipher" name="cipher" value="3"/></instance_attributes><operations><op id="fence-${node}-mon" name="monitor" interval="60s"/></operations></primitive>`);
        }
      }
      for (const xml of resources) {
        const result = testbed.exec("node1", ["cibadmin", "-C", "-o", "resources", "-X", xml]);
        if (result.status !== 0) throw new Error(`cibadmin: ${result.stderr}`);
      }
      if (fencing) {
        for (const node of NODES) testbed.exec("node1", ["cibadmin", "-C", "-o", "constraints", "-X", `<rsc_location id="fence-${node}-away" rsc="fence-${node}" node="${node}" score="-INFINITY"/>`]);
      }
    },
    settled: (testbed) => {
      const status = testbed.exec(holder(testbed) ?? "node1", ["crm_mon", "-1"]).stdout;
      return /Online:\s*\[\s*node1 node2\s*\]/.test(status) && !/UNCLEAN|Stopped|FAILED|Starting|Stopping/.test(status);
    },
    stackPattern: /corosync|pacemaker/,
  };
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, min: sorted[0] ?? NaN, median, max: sorted[sorted.length - 1] ?? NaN };
}

// No drop_caches here: it leaves the pages processes map (what RSS and PSS count) where they are,
// so it changes none of these figures, but it evicts every program that is not running, among
// them haproxy and its 18 MB of libraries, which the standby's probe (`haproxy -c`) had read in at
// start: the first failover after it then read them from disk again (issue 21: the slow first run).
// The page cache is cold once, at the start, as after a boot.
function memory(testbed: Testbed, node: NodeName, pattern: RegExp) {
  let rss = 0, pss = 0, priv = 0, processes = 0;
  for (const pid of testbed.pids(node)) {
    let command = "";
    try { command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "); } catch { continue; }
    if (!pattern.test(command) || /^(sh|nsenter) /.test(command)) continue;
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
    rss += field("Rss"); pss += field("Pss"); priv += field("Private_Clean") + field("Private_Dirty"); processes++;
  }
  return { processes, rssMiB: +(rss / 1024).toFixed(1), pssMiB: +(pss / 1024).toFixed(1), privateMiB: +(priv / 1024).toFixed(1) };
}

/** CPU ticks of the stack's processes: their own, and those of the children they reaped (agents, scripts). */
function cpuTicks(testbed: Testbed, node: NodeName, pattern: RegExp): { own: number; children: number } {
  const ticks = { own: 0, children: 0 };
  for (const pid of testbed.pids(node)) {
    try {
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "))) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
      ticks.own += Number(fields[11]) + Number(fields[12]);
      ticks.children += Number(fields[13]) + Number(fields[14]);
    } catch { /* gone */ }
  }
  return ticks;
}

/**
 * Wake-ups of the stack's processes: voluntary context switches (each sleep in epoll_wait, poll
 * or a futex ends in one wake-up), of their main threads (the event loop) and of all threads.
 */
function wakeups(testbed: Testbed, node: NodeName, pattern: RegExp): { main: number; all: number } {
  const count = { main: 0, all: 0 };
  for (const pid of testbed.pids(node)) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (!pattern.test(command) || /^(sh|nsenter) /.test(command)) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const switches = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))?.[1] ?? 0);
        count.all += switches;
        if (tid === String(pid)) count.main += switches;
      }
    } catch { /* gone */ }
  }
  return count;
}

async function measure(config: Config) {
  const testbed = await Testbed.create({ prefix: "pb" });
  const failovers: number[] = [];
  const notes: string[] = [];
  try {
    // Every stack starts with a cold page cache, as after a boot: what its executables map
    // is then what they read, not whatever an earlier build or run left in the cache.
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    for (const node of NODES) { if (!config.name.startsWith("edgeha")) testbed.startResponder(node, PORT); config.start(testbed, node); }
    await config.configure?.(testbed);
    try {
      await waitFor(`${config.name}: the VIP on one node`, 120_000, () => holder(testbed) && config.settled(testbed));
    } catch (error) {
      if (config.name.startsWith("edgeha")) throw new Error("edgeha cluster not ready: the agents did not bring the VIP group up within 120 s (logs: node1-edgeha.log, node2-edgeha.log; KEEP=1 keeps them)");
      throw error;
    }
    let idle: number | undefined;
    let idleChildren: number | undefined;
    if (idleSeconds > 0) {
      if (settleSeconds > 0) {
        await sleep(settleSeconds * 1000);
        await waitFor(`${config.name}: the VIP on one node after ${settleSeconds} s`, 60_000, () => holder(testbed) && config.settled(testbed));
      }
      const node = holder(testbed)!;
      const before = cpuTicks(testbed, node, config.stackPattern);
      const wakeupsBefore = wakeups(testbed, node, config.stackPattern);
      // edgeha's metrics are scraped as Prometheus would, every SCRAPE_SECONDS (15 s by default).
      const scrapeMs = Number(process.env.SCRAPE_SECONDS ?? 15) * 1000;
      const scraping = config.name.startsWith("edgeha") && METRICS_LISTEN !== undefined && scrapeMs > 0;
      let scrapes = 0;
      const idleEnds = Date.now() + idleSeconds * 1000;
      console.log(`${config.name}: idle window on ${node} ${new Date().toISOString()} .. ${new Date(idleEnds).toISOString()} (${settleSeconds} s after the stack settled)`);
      while (Date.now() < idleEnds) {
        await sleep(Math.min(scrapeMs > 0 ? scrapeMs : Infinity, idleEnds - Date.now()));
        if (scraping && Date.now() < idleEnds) {
          // A scrape that fails would make "metrics on and scraped" a false label: the run stops.
          const scrape = testbed.exec(node, ["curl", "-sf", "-o", "/dev/null", `http://${METRICS_LISTEN}/metrics`]);
          if (scrape.status !== 0) throw new Error(`scraping http://${METRICS_LISTEN}/metrics on ${node} failed (curl exit ${scrape.status}): ${scrape.stderr}`);
          scrapes++;
        }
      }
      const after = cpuTicks(testbed, node, config.stackPattern);
      const wakeupsAfter = wakeups(testbed, node, config.stackPattern);
      notes.push(`wake-ups of ${node}'s stack: ${((wakeupsAfter.main - wakeupsBefore.main) / idleSeconds).toFixed(1)}/s in main threads, ${((wakeupsAfter.all - wakeupsBefore.all) / idleSeconds).toFixed(1)}/s in all threads (voluntary context switches)`);
      idle = +((after.own - before.own) / 100 / idleSeconds * 100).toFixed(2);
      idleChildren = +((after.children - before.children) / 100 / idleSeconds * 100).toFixed(2);
      if (config.name.startsWith("edgeha")) notes.push(scraping ? `metrics on (${METRICS_LISTEN}), scraped ${scrapes} times, every ${scrapeMs / 1000} s, during the ${idleSeconds} s idle (from ${settleSeconds} s after the stack settled)` : `metrics ${METRICS_LISTEN === undefined ? "off (EDGEHA_METRICS=off)" : "on, not scraped (SCRAPE_SECONDS=0)"} during the ${idleSeconds} s idle`);
    }
    // Memory of the settled stack, after the idle period when there is one.
    const mem = memory(testbed, holder(testbed)!, config.stackPattern);
    for (let run = 0; run < runs; run++) {
      const active = await waitFor(`${config.name}: a stable VIP holder`, 120_000, () => config.settled(testbed) && holder(testbed));
      const survivor = other(active);
      await sleep(500 + Math.random() * 1500);
      const probe = testbed.startProbe(PORT, { intervalMs: 20, timeoutMs: 150, durationMs: 60_000 });
      try {
        await waitFor("the probe's first answer", 10_000, () => probe.answers().length > 0);
        await sleep(300 + Math.random() * 1000);
        const killedAt = Date.now();
        if (config.fault) config.fault.apply(testbed, active);
        else testbed.powerLoss(active);
        const answer = await waitFor(`${config.name}: an answer from ${survivor}`, 45_000, () => probe.answers().find((each) => each.t > killedAt && each.body === survivor));
        failovers.push((answer.t - killedAt) / 1000);
        console.log(`${config.name} run ${run + 1}: ${active} ${config.fault ? `got ${config.fault.name}` : "lost power"}, ${survivor} answered after ${((answer.t - killedAt) / 1000).toFixed(3)} s`);
      } finally {
        probe.stop();
      }
      if (config.fault) {
        await config.fault.repair(testbed, active);
      } else {
        // Repair: power back (a fence may already have done it), the stack restarted, settle.
        await sleep(1000);
        testbed.powerOn(active);
        if (!config.name.startsWith("edgeha")) testbed.startResponder(active, PORT);
        config.start(testbed, active);
      }
      await waitFor(`${config.name}: ${active} back in the cluster`, 120_000, () => config.settled(testbed) && holder(testbed) === survivor);
    }
    if (config.fault) {
      // A clean leave must never fence: count the fencing lines both agents logged over all runs.
      const fencings = NODES.map((node) => { try { return readFileSync(join(testbed.directory, `${node}-edgeha.log`), "utf8").split("\n").filter((line) => line.includes('"msg":"fencing"')).length; } catch { return 0; } });
      notes.push(`fencing lines in the agents' logs over all runs: ${fencings.join(" + ")}`);
      console.log(`${config.name}: ${notes[notes.length - 1]}`);
    }
    return { name: config.name, params: config.params, failover: stats(failovers), runs: failovers, memory: mem, idleCpuPercent: idle, idleChildrenCpuPercent: idleChildren, idleSeconds, notes };
  } finally {
    testbed.destroy({ keepFiles: process.env.KEEP === "1" });
  }
}

const all: Config[] = [
  keepalived("keepalived-default", 2, 1),
  keepalived("keepalived-tuned", 3, 0.1),
  pacemaker("pacemaker-default", undefined, false),
  pacemaker("pacemaker-tuned", 1000, false),
  pacemaker("pacemaker-fencing", 1000, true),
  edgeha(),
  edgehaSigterm(),
];

(async () => {
  const wanted = (process.env.CONFIGS ?? all.map((config) => config.name).join(",")).split(",");
  const outDir = join(root, "bench", "failover", "results");
  mkdirSync(outDir, { recursive: true });
  const rows: string[] = ["| configuration | runs | min s | median s | max s | stack RSS MiB | PSS MiB | private MiB | idle CPU % | + reaped children % |", "|---|---|---|---|---|---|---|---|---|---|"];
  for (const config of all.filter((each) => wanted.includes(each.name))) {
    try {
      const result = await measure(config);
      writeFileSync(join(outDir, `${config.name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), JSON.stringify(result, null, 2));
      const f = result.failover;
      const failover = f.n === 0 ? "no failover runs (RUNS=0)" : `median ${f.median.toFixed(3)} s, min ${f.min.toFixed(3)} s, max ${f.max.toFixed(3)} s (${f.n} runs)`;
      console.log(`${config.name}: ${failover}; stack ${JSON.stringify(result.memory)}, idle CPU ${result.idleCpuPercent ?? "-"} % (+ ${result.idleChildrenCpuPercent ?? "-"} % in children it reaped)${result.notes.length > 0 ? `; ${result.notes.join("; ")}` : ""}`);
      const figure = (value: number) => (f.n === 0 ? "-" : value.toFixed(2));
      rows.push(`| ${config.name} | ${f.n} | ${figure(f.min)} | ${figure(f.median)} | ${figure(f.max)} | ${result.memory.rssMiB} | ${result.memory.pssMiB} | ${result.memory.privateMiB} | ${result.idleCpuPercent ?? "-"} | ${result.idleChildrenCpuPercent ?? "-"} |`);
    } catch (error) {
      console.log(`${config.name}: FAILED: ${(error as Error).message}`);
      rows.push(`| ${config.name} | failed: ${(error as Error).message} | | | | | | | |`);
    }
  }
  console.log(`\n${rows.join("\n")}`);
  writeFileSync(join(outDir, `peers-${new Date().toISOString().replace(/[:.]/g, "-")}.md`), rows.join("\n") + "\n");
})();
