// Two real agents on loopback; node n2 has two power supplies, each behind its own ipmi_sim
// BMC (psu-a, psu-b), both on n2's one fencing level; the cluster's stonith-action is reboot.
// The agent of n2 (which runs the group) is killed with -9; the survivor fences n2. The test
// plays the power: n2 loses power only while both supplies read off (its resources die then).
// The reboot must run as off on both, then on on both (Pacemaker's remapped topology reboot):
// both supplies are off together, the fencing is confirmed inside that window (after the last
// off, before the first on), the group starts on the survivor only after n2 lost power, and
// both supplies are switched on again afterwards. Rebooting the supplies in turn would keep
// n2 powered all along while the cluster takes it for fenced (the group would run twice).
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
const directory = mkdtempSync(join(tmpdir(), "ehf2-"));
const port = 36600 + (process.pid % 100);
const bmcPort = 36800 + (process.pid % 60) * 3;
const octet = 10 + (process.pid % 200);
const cluster = new LoopbackAgents(directory, 30_000);
const { agents, stateFiles } = cluster;
const bmcs = new Map<string, SimBmc>();

function cliJson(name: string, ...args: string[]): unknown {
  const result = spawnSync(process.execPath, [...bundleArgs, ...args, "--json", "--socket", join(directory, `${name}.sock`)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? JSON.parse(result.stdout) : undefined;
}

afterAll(() => {
  cluster.killAll();
  for (const bmc of bmcs.values()) bmc.stop();
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(missing !== "")(`a reboot of a node with two power supplies on loopback ${missing}`, () => { // skipped: without ipmi_sim (the BMCs) or ipmitool; the title names what is missing
  it("turns both supplies off before the fencing counts, then both on; the group never runs twice", async () => {
    for (const [index, name] of ["fence-n1", "psu-a", "psu-b"].entries()) bmcs.set(name, await startSimBmc(bmcPort + index, "on"));
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehf2psu\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.8.1] }\n  - { name: n2, id: 2, links: [127.${octet}.8.2] }\n`);
    writeFileSync(join(directory, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="true"/><nvpair id="o2" name="stonith-action" value="reboot"/></cluster_property_set></crm_config>
    <nodes/>
    <resources>
      ${fenceXml("fence-n1", "n1", bmcs.get("fence-n1")!)}
      ${fenceXml("psu-a", "n2", bmcs.get("psu-a")!)}
      ${fenceXml("psu-b", "n2", bmcs.get("psu-b")!)}
      <group id="web">${cluster.primitiveXml("vip")}${cluster.primitiveXml("proxy")}</group>
    </resources>
    <constraints><rsc_location id="web-on-n2" rsc="web" node="n2" score="50"/></constraints>
    <fencing-topology>
      <fencing-level id="fl-n1" target="n1" index="1" devices="fence-n1"/>
      <fencing-level id="fl-n2" target="n2" index="1" devices="psu-a,psu-b"/>
    </fencing-topology>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
  </configuration>
  <status/>
</cib>`);
    cluster.start("n1");
    cluster.start("n2");
    await cluster.waitFor("the group started on n2", () => cluster.running().includes("vip@n2") && cluster.running().includes("proxy@n2"));
    const supplies = [bmcs.get("psu-a")!, bmcs.get("psu-b")!];

    // The power: n2 is without power while both supplies read off; its resources die with it.
    let bothRunning = false;
    let poweredOffAt: number | undefined;
    let survivorStartedAt: number | undefined;
    const sample = () => {
      if (poweredOffAt === undefined && supplies.every((bmc) => bmc.power() === "off")) {
        poweredOffAt = Date.now();
        for (const file of cluster.running()) if (file.endsWith("@n2")) rmSync(join(stateFiles, file), { force: true });
      }
      const files = cluster.running();
      if (files.includes("vip@n2") && files.includes("vip@n1")) bothRunning = true;
      if (survivorStartedAt === undefined && files.includes("vip@n1")) survivorStartedAt = Date.now();
    };
    const power = setInterval(sample, 10);
    try {
      agents.get("n2")!.kill("SIGKILL");
      await cluster.waitFor("the group on n1", () => cluster.running().includes("vip@n1") && cluster.running().includes("proxy@n1"), 60_000);
      sample();
    } finally {
      clearInterval(power);
    }
    await cluster.waitFor("both supplies switched on again", () => supplies.every((bmc) => bmc.events().length === 2));

    const timed = supplies.map((bmc) => bmc.timedEvents());
    expect(timed.map((events) => events.map((each) => each.event))).toEqual([["power 0", "power 1"], ["power 0", "power 1"]]);
    const lastOff = Math.max(...timed.map((events) => events[0]!.atMs));
    const firstOn = Math.min(...timed.map((events) => events[1]!.atMs));
    // Both off at once: the second supply went off before the first came back.
    expect(lastOff, JSON.stringify(timed)).toBeLessThan(firstOn);
    expect(poweredOffAt).toBeDefined();
    expect(bothRunning).toBe(false);
    expect(survivorStartedAt! - poweredOffAt!).toBeGreaterThanOrEqual(0);

    // The fencing was confirmed inside that window, and the history names both supplies.
    const history = await cluster.waitFor("the fencing in n1's history", () => (cliJson("n1", "stonith", "history", "n2") as Array<{ action: string; state: string; device?: string; completedAtMs?: number }> | undefined)?.find((record) => record.state === "done"));
    expect(history).toMatchObject({ action: "reboot", state: "done", device: "psu-a,psu-b" });
    expect(history.completedAtMs!).toBeGreaterThanOrEqual(lastOff);
    expect(history.completedAtMs!).toBeLessThanOrEqual(firstOn);
    // Each on is logged once the driver reads the supply on (after the BMC took the command).
    const log = await cluster.waitFor("both ons in n1's log", () => {
      const text = readFileSync(join(directory, "n1.log"), "utf8");
      return (text.match(/switched on again/g)?.length ?? 0) >= 2 && text;
    });
    expect(log.match(/switched on again/g)?.length).toBe(2);
    for (const bmc of bmcs.values()) expect(log).not.toContain(bmc.password);
  }, 120_000);
});
