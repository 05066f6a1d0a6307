// Issue 18: unfencing live is the DC's graph step, as in Pacemaker. Two real agents on loopback,
// each node with an ipmi_sim BMC that starts powered off, fence_ipmilan devices that provide
// unfencing (meta provides=unfencing), and a State resource that needs unfencing (no requires:
// the default once a device provides it). No agent unfences itself before it probes any more;
// the DC's transition unfences the node ("fence on" through the fencer, the BMC sees the power
// on) before the resource starts there, and the fence history shows the "on". Stonith is on;
// nobody is fenced. Every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, reasonMissing } from "../../support/environment";
import { startSimBmc, type SimBmc } from "../../support/ipmi/sim";
import { fenceXml, LoopbackAgents } from "../../support/loopback-agents";

const missing = reasonMissing("ipmi_sim", "ipmitool");
const directory = mkdtempSync(join(tmpdir(), "ehu-"));
const port = 37300 + (process.pid % 100);
const bmcPort = 37500 + (process.pid % 100) * 2;
const octet = 10 + ((process.pid + 53) % 200);
const cluster = new LoopbackAgents(directory, 60_000);
const bmcs = new Map<string, SimBmc>();

interface Status { cluster_state: { fencing: Array<{ target: string; action: string; state: string }>; failedActions: unknown[] } | null }
function status(name: string): Status | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", "--json", "--socket", join(directory, `${name}.sock`)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? (JSON.parse(result.stdout) as Status) : undefined;
}

afterAll(() => {
  cluster.killAll();
  for (const bmc of bmcs.values()) bmc.stop();
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(missing !== "")(`unfencing as the DC's step, live ${missing}`, () => { // skipped: without ipmi_sim (the BMCs) or ipmitool; the title names what is missing
  it("the DC unfences the node before the resource that needs it starts there; no agent unfences itself", async () => {
    for (const [index, name] of ["n1", "n2"].entries()) bmcs.set(name, await startSimBmc(bmcPort + index, "off"));
    const device = (name: string) => fenceXml(`fence-${name}`, name, bmcs.get(name)!).replace("</primitive>", `<meta_attributes id="fence-${name}-m"><nvpair id="fence-${name}-m1" name="provides" value="unfencing"/></meta_attributes></primitive>`);
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehunfence\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.12.1] }\n  - { name: n2, id: 2, links: [127.${octet}.12.2] }\n`);
    writeFileSync(join(directory, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration>
      <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
      <resources>${device("n1")}${device("n2")}${cluster.primitiveXml("vip")}</resources>
      <constraints><rsc_location id="vip-n2" rsc="vip" node="n2" score="100"/></constraints></configuration><status/></cib>`);
    cluster.start("n1");
    cluster.start("n2");
    // When the resource first shows running (sampled every 100 ms by waitFor).
    await cluster.waitFor("vip running on n2", () => cluster.running().includes("vip@n2"));
    const startedSeenMs = Date.now();
    // n2's BMC was powered on (the unfencing) before vip ran there.
    const on = bmcs.get("n2")!.timedEvents().find((entry) => /^power 1/.test(entry.event));
    expect(on, `n2's BMC events: ${bmcs.get("n2")!.events().join(", ")}`).toBeDefined();
    expect(on!.atMs).toBeLessThanOrEqual(startedSeenMs);
    // Through the DC's transition: the cluster's fence history has the "on", done; nobody was fenced.
    const state = await cluster.waitFor("n2's unfencing in the fence history", () => {
      const current = status("n1")?.cluster_state;
      return current?.fencing.some((record) => record.target === "n2" && record.action === "on" && record.state === "done") ? current : undefined;
    });
    expect(state.fencing.filter((record) => record.action !== "on"), JSON.stringify(state.fencing)).toEqual([]);
    expect(state.failedActions).toEqual([]);
    // No agent unfenced itself before probing.
    for (const name of ["n1", "n2"]) expect(readFileSync(join(directory, `${name}.log`), "utf8")).not.toContain("unfenced this node");
  }, 120_000);
});
