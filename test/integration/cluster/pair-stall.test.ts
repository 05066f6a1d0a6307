// A stall of the agent longer than the token (SIGSTOP, then SIGCONT) on the node that runs
// the group: its peer may have declared it lost meanwhile, so when it runs again it must
// notice the gap in its own clock and act safely before doing anything else: stop its
// resources and end (systemd would start it afresh). A real pair in network namespaces with
// ipmi_sim BMCs and fencing on; priority-fencing-delay 5s keeps the survivor's fence of the
// stalled node (the one running the group) pending long enough that the stalled node's own
// reaction is what is seen. Takes about a minute.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNamespaces, reasonMissing, repositoryRoot } from "../../support/environment";
import { PairTestbed } from "../../support/pair";
import { PairCluster } from "../../support/pair-cluster";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "memcached", "curl", "unshare")].filter(Boolean).join(" ");
const testbed = new PairTestbed({ tag: `s${process.pid % 1000}`, subnet: 10 + ((process.pid + 97) % 200) });
const cluster = new PairCluster(testbed, { port: 34800 + (process.pid % 100), priorityFencingDelay: "5s", repositoryRoot, restartAfterStall: false });
const STALL_MS = 1500;

beforeAll(async () => {
  if (missing) return;
  await testbed.create();
  cluster.writeConfig();
  for (const node of testbed.nodes) cluster.startAgent(node);
}, 60_000);

afterAll(() => {
  if (!missing) testbed.destroy();
});

/** The nodes whose eth0 holds the VIP. */
function vipHolders(): string[] {
  return testbed.nodes.filter((node) => testbed.exec(node.namespace, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.includes(` ${testbed.vip}/`)).map((node) => node.name);
}

describe.skipIf(missing !== "")(`a stall of the active agent longer than the token ${missing}`, () => { // skipped: without root and namespaces, ipmi_sim, ipmitool, haproxy, memcached, curl or unshare; the title names what is missing
  it("makes the stalled node stop its resources and end before it does anything else; the VIP is never on both nodes", async () => {
    const active = await cluster.waitFor("an answer through the VIP", () => cluster.ask(), 60_000);
    await cluster.waitFor("the group settled", () => cluster.status(testbed.node(active))?.cluster_state?.resources.filter((resource) => ["vip", "haproxy", "memcached"].includes(resource.id)).every((resource) => resource.role === "Started"), 30_000);
    const agent = cluster.agents.get(active)!;
    const exited = new Promise<number | null>((resolve) => agent.once("exit", (code) => resolve(code)));
    const logBefore = testbed.log(`${active}.log`).length;

    const stoppedAt = Date.now();
    process.kill(agent.pid!, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, STALL_MS));
    const continuedAt = Date.now();
    process.kill(agent.pid!, "SIGCONT");

    const samples: Array<{ atMs: number; holders: string[] }> = [];
    let code: number | null | undefined;
    void exited.then((value) => { code = value; });
    while (Date.now() - continuedAt < 4000) {
      samples.push({ atMs: Date.now() - continuedAt, holders: vipHolders() });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // It ended on its own, with the status that asks to be started again.
    expect(code).toBe(75);
    // The first thing it logged after it ran again is the stall; nothing happened before it.
    // A line stamped before the SIGSTOP was logged before the stall (the logger's buffer may
    // reach the file only after SIGCONT), so it does not count as "after".
    const after = testbed.log(`${active}.log`).slice(logBefore).split("\n").filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; time: string })
      .filter((line) => Date.parse(line.time) >= stoppedAt);
    expect(after[0]?.msg).toMatch(/^this node was stalled as long as the token/);
    expect(after.some((line) => /^stopped every resource after the stall/.test(line.msg))).toBe(true);
    // Its VIP went within two seconds of SIGCONT, and never was the VIP on both nodes.
    const firstWithout = samples.find((sample) => !sample.holders.includes(active));
    expect(firstWithout).toBeDefined();
    expect(firstWithout!.atMs).toBeLessThan(2000);
    expect(samples.filter((sample) => sample.holders.length > 1)).toEqual([]);

    // The survivor fences the stalled node (after the delay) and takes the group over.
    const survivor = cluster.other(active).name;
    expect(await cluster.waitFor("the survivor to answer", () => cluster.ask() === survivor && survivor, 30_000)).toBe(survivor);
  }, 120_000);
});
