// No false failover: an edgeha pair on the namespace testbed (the same pair as peers.ts: a
// VIP + haproxy + memcached group, 1 s monitors, fencing through ipmi_sim BMCs, metrics on)
// is put under stress, and what changes is counted from both agents' logs:
//   cpu-holder / cpu-standby   stress-ng loads every CPU for STRESS_SECONDS (60) from inside
//                              that node (the machine's CPUs are shared by both nodes, so the
//                              other node is loaded too; the named one owns the load)
//   memory-holder / -standby   each node's agent runs from its own copy of the executable in a
//                              memory cgroup of its own (from its start, so its pages are
//                              charged there); the phase limits that cgroup to what it uses
//                              plus MEMORY_HEADROOM_MB (64) and stress-ng, in it, allocates and
//                              touches twice that: the kernel reclaims the agent's pages (its
//                              executable's text among them) the whole time. stress-ng's
//                              workers are the OOM killer's first pick.
//   stall-holder               the holder's agent is stopped (SIGSTOP) for STALL_MS (1500, more
//                              than the token) and continued (SIGCONT): it must stop its
//                              resources before anything else; the VIP is sampled every 20 ms
//                              on both nodes to see whether it was ever on two at once after
//                              the stall ended.
// Printed per phase: view changes, echo suspicions, credited pauses (most), stalls found,
// fencing, and where the VIP ended. Run through bench/failover/false-failover.sh (root).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Testbed, type NodeName } from "../../test/support/testbed";
import { NODES, edgeha, holder, other, root, sleep, waitFor } from "./stacks";

const stressSeconds = Number(process.env.STRESS_SECONDS ?? 60);
const headroomMb = Number(process.env.MEMORY_HEADROOM_MB ?? 64);
const stallMs = Number(process.env.STALL_MS ?? 1500);
const phases = (process.env.PHASES ?? "cpu-holder,cpu-standby,memory-holder,memory-standby,stall-holder").split(",");

interface LogLine { time: string; msg: string; [key: string]: unknown }

function logLines(testbed: Testbed, node: NodeName): LogLine[] {
  const file = join(testbed.directory, `${node}-edgeha.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").flatMap((line) => { try { return line.startsWith("{") ? [JSON.parse(line) as LogLine] : []; } catch { return []; } });
}

interface Counts { views: number; suspicions: number; pauses: number; pauseMsMax: number; stalls: number; fencing: number }

function count(testbed: Testbed, fromMs: number, toMs: number): Record<NodeName, Counts> {
  const result = {} as Record<NodeName, Counts>;
  for (const node of NODES) {
    const lines = logLines(testbed, node).filter((line) => { const at = Date.parse(line.time); return at >= fromMs && at <= toMs; });
    const pauses = lines.filter((line) => line.msg.startsWith("event loop was paused")).map((line) => Number(line.pausedMs ?? 0));
    result[node] = {
      views: lines.filter((line) => line.msg === "new membership view").length,
      suspicions: lines.filter((line) => line.msg.startsWith("the peer's machine stopped answering")).length,
      pauses: pauses.length, pauseMsMax: Math.max(0, ...pauses),
      stalls: lines.filter((line) => line.msg.startsWith("this node was stalled")).length,
      fencing: lines.filter((line) => line.msg === "fencing").length,
    };
  }
  return result;
}

/** Host pids of the agent and everything it started on a node (not the machine's PID 1 or the bench's nsenter). */
function nodePids(testbed: Testbed, node: NodeName): number[] {
  return testbed.pids(node).filter((pid) => { try { return !/^(sh -c|nsenter|unshare)/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")); } catch { return false; } });
}

/** The agent itself: not the nsenter that started it (in the node's network namespace too, its command line names the agent). */
function agentPid(testbed: Testbed, node: NodeName): number | undefined {
  return testbed.pids(node).find((pid) => {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      return /edgeha(\.cjs)? agent /.test(command) && !/^(sh|nsenter|unshare) /.test(command);
    } catch {
      return false;
    }
  });
}

/** This process's memory cgroup (v1), where the bench may make children. */
function memoryCgroupRoot(): string {
  const line = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((each) => /:memory:/.test(each));
  if (!line) throw new Error("no memory cgroup (v1) for this process");
  return join("/sys/fs/cgroup/memory", line.split(":")[2]!);
}

async function cpuPhase(testbed: Testbed, node: NodeName): Promise<string> {
  const result = testbed.exec(node, ["stress-ng", "--cpu", "0", "--cpu-method", "matrixprod", "--timeout", `${stressSeconds}s`, "--metrics-brief"], { timeoutMs: (stressSeconds + 30) * 1000 });
  return `stress-ng --cpu 0 exit ${result.status}`;
}

/** The memory cgroup (v1) of a node's agent, made before it starts. */
function nodeGroup(node: NodeName): string {
  return join(memoryCgroupRoot(), `eh-false-failover-${process.pid}-${node}`);
}

/**
 * Each agent from its own copy of the executable (so its pages are its own) inside its node's
 * cgroup. The node's /sys is its network namespace's own (`ip netns exec` mounts a fresh
 * sysfs, without the cgroup hierarchies), so the agent's shell cannot join the group itself:
 * it waits for a file that the bench creates once it has moved the shell there from the host,
 * and only then becomes the agent (whose pages are then charged to the group from its start).
 */
function agentCommand(testbed: Testbed, node: NodeName, argv: string[]): string[] {
  const copy = join(testbed.host(node).state, "edgeha");
  if (!existsSync(copy)) copyFileSync(argv[0]!, copy);
  mkdirSync(nodeGroup(node), { recursive: true });
  const admitted = join(testbed.host(node).state, `eh-cgroup-admitted-${Date.now()}`);
  void admit(node, admitted);
  return ["sh", "-c", `while [ ! -e ${admitted} ]; do sleep 0.05; done; exec "$@"`, "sh", copy, ...argv.slice(1)];
}

/** Finds the agent's waiting shell by its command line (host pid), moves it into the node's group, then lets it go on. */
async function admit(node: NodeName, admitted: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const shell = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).find((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        return command.startsWith("sh\0-c\0") && command.includes(admitted);
      } catch {
        return false;
      }
    });
    if (shell !== undefined) {
      writeFileSync(join(nodeGroup(node), "cgroup.procs"), shell);
      writeFileSync(admitted, "");
      return;
    }
    await sleep(50);
  }
  console.error(`${node}: the agent's shell never appeared; it was not moved into ${nodeGroup(node)}`);
  writeFileSync(admitted, "");
}

async function memoryPhase(testbed: Testbed, node: NodeName): Promise<string> {
  const group = nodeGroup(node);
  const usedBytes = Number(readFileSync(join(group, "memory.usage_in_bytes"), "utf8"));
  const limitBytes = usedBytes + headroomMb * 1024 * 1024;
  writeFileSync(join(group, "memory.limit_in_bytes"), String(limitBytes));
  try {
    // stress-ng runs in the node's group: its shell waits until the bench has moved it there (see agentCommand).
    const admitted = join(testbed.host(node).state, `eh-cgroup-admitted-stress-${Date.now()}`);
    const admitting = admit(node, admitted);
    const stress = testbed.spawn(node, ["sh", "-c", `while [ ! -e ${admitted} ]; do sleep 0.05; done; exec stress-ng --vm 2 --vm-bytes ${headroomMb * 2}M --vm-keep --page-in --timeout ${stressSeconds}s --metrics-brief`], { logFile: join(testbed.directory, `${node}-stress-ng.log`) });
    await admitting;
    const status = await new Promise<number | string | null>((resolve) => {
      const timer = setTimeout(() => { stress.kill("SIGKILL"); resolve("killed after the phase's time"); }, (stressSeconds + 30) * 1000);
      stress.once("exit", (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    });
    const failcnt = readFileSync(join(group, "memory.failcnt"), "utf8").trim();
    return `cgroup limit ${(limitBytes / 1048576).toFixed(0)} MiB (used ${(usedBytes / 1048576).toFixed(0)} + ${headroomMb}), limit hit ${failcnt} times, stress-ng exit ${status}`;
  } finally {
    writeFileSync(join(group, "memory.limit_in_bytes"), "-1");
  }
}

function removeGroups(): void {
  for (const node of NODES) {
    const group = nodeGroup(node);
    if (!existsSync(group)) continue;
    for (const pid of readFileSync(join(group, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) { try { writeFileSync(join(memoryCgroupRoot(), "cgroup.procs"), pid); } catch { /* gone */ } }
    try { rmdirSync(group); } catch { /* busy */ }
  }
}

async function stallPhase(testbed: Testbed, node: NodeName): Promise<string> {
  const pid = agentPid(testbed, node);
  if (pid === undefined) return "no agent to stop";
  const samples: Array<{ t: number; holders: NodeName[] }> = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // A node fenced meanwhile (its peer took over after the stall) has no machine to ask: it holds nothing.
      const holds = (each: NodeName) => { try { return testbed.powered(each) && testbed.exec(each, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.includes(` ${testbed.vip}/`); } catch { return false; } };
      const holders = NODES.filter(holds);
      samples.push({ t: Date.now(), holders });
      await sleep(20);
    }
  })();
  process.kill(pid, "SIGSTOP");
  const stoppedAt = Date.now();
  await sleep(stallMs);
  process.kill(pid, "SIGCONT");
  const continuedAt = Date.now();
  await sleep(5000);
  sampling = false;
  await sampler;
  const both = samples.filter((sample) => sample.holders.length > 1);
  const bothAfter = both.filter((sample) => sample.t > continuedAt);
  const lastBoth = both.at(-1);
  return `stopped ${continuedAt - stoppedAt} ms; VIP on both nodes in ${both.length} of ${samples.length} samples (${bothAfter.length} after SIGCONT${lastBoth ? `, the last ${lastBoth.t - continuedAt} ms after it` : ""})`;
}

(async () => {
  const testbed = await Testbed.create({ prefix: "ff" });
  const config = edgeha({ agentCommand: (node, argv) => agentCommand(testbed, node, argv) });
  const rows = ["| phase | seconds | node1 views / suspicions / pauses (max ms) / stalls / fencing | node2 ... | note |", "|---|---|---|---|---|"];
  try {
    for (const node of NODES) config.start(testbed, node);
    await waitFor("the VIP group on one node", 120_000, () => holder(testbed) && config.settled(testbed));
    await sleep(5000);
    for (const phase of phases) {
      const active = await waitFor("a settled pair", 120_000, () => config.settled(testbed) && holder(testbed));
      const target = phase.endsWith("-holder") ? active : other(active);
      const fromMs = Date.now();
      let note: string;
      if (phase.startsWith("cpu-")) note = await cpuPhase(testbed, target);
      else if (phase.startsWith("memory-")) note = await memoryPhase(testbed, target);
      else if (phase.startsWith("stall-")) note = await stallPhase(testbed, target);
      else throw new Error(`unknown phase ${phase}`);
      const toMs = Date.now();
      const counts = count(testbed, fromMs, toMs);
      const cell = (c: Counts) => `${c.views} / ${c.suspicions} / ${c.pauses} (${c.pauseMsMax}) / ${c.stalls} / ${c.fencing}`;
      const line = `| ${phase} (${target}) | ${((toMs - fromMs) / 1000).toFixed(0)} | ${cell(counts.node1)} | ${cell(counts.node2)} | ${note}; VIP on ${holder(testbed) ?? "?"} |`;
      console.log(line);
      rows.push(line);
      // A stalled node stops and exits: start it again and let the pair settle before the next phase.
      if (phase.startsWith("stall-")) {
        if (agentPid(testbed, target) === undefined) { testbed.powerOn(target); config.start(testbed, target); }
        await waitFor("the pair settled after the stall", 120_000, () => config.settled(testbed));
      }
      await sleep(5000);
    }
  } finally {
    testbed.destroy({ keepFiles: process.env.KEEP === "1" });
    removeGroups();
  }
  console.log(`\n${rows.join("\n")}`);
  const outDir = join(root, "bench", "failover", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `false-failover-${new Date().toISOString().replace(/[:.]/g, "-")}.md`), `${rows.join("\n")}\n`);
})().catch((error: unknown) => { console.error(error); process.exit(1); });
