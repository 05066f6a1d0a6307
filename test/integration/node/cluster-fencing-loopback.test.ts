// Two real agents on loopback, each node with its own ipmi_sim BMC, stonith enabled with
// the ipmilan driver. The agent of the active node is killed with -9 (its resources keep
// running: only the agent died). The survivor must fence that node through its BMC before
// it starts anything; the test plays the power supply: when a BMC logs a power-off, that
// node's resources die with it (checked every 20 ms, so a start that raced the power-off
// would find the old copy still running). Sampled every 20 ms: the group never runs on both nodes.
// The BMC password appears neither in the agents' logs nor in `edgeha status`.
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
const directory = mkdtempSync(join(tmpdir(), "ehf-"));
const port = 34400 + (process.pid % 100);
const bmcPort = 34600 + (process.pid % 100) * 2;
const octet = 10 + (process.pid % 200);
const cluster = new LoopbackAgents(directory, 20_000);
const { agents, stateFiles } = cluster;
const bmcs = new Map<string, SimBmc>();

interface Status { dc: string | null; cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }>; fencing: Array<{ target: string; state: string }> } | null }

function statusText(name: string, json: boolean): string | undefined {
  const result = spawnSync(process.execPath, [...bundleArgs, "status", ...(json ? ["--json"] : []), "--socket", join(directory, `${name}.sock`)], { encoding: "utf8", timeout: 5000 });
  return result.status === 0 ? result.stdout : undefined;
}

function status(name: string): Status | undefined {
  const text = statusText(name, true);
  return text === undefined ? undefined : (JSON.parse(text) as Status);
}

afterAll(() => {
  cluster.killAll();
  for (const bmc of bmcs.values()) bmc.stop();
  if (!process.env.EDGEHA_KEEP) rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(missing !== "")(`cluster fencing on loopback with ipmi_sim BMCs ${missing}`, () => { // skipped: without ipmi_sim (the BMCs) or ipmitool; the title names what is missing
  it("fences the node whose agent died before its group starts on the survivor, never running it twice", async () => {
    for (const [index, name] of ["n1", "n2"].entries()) bmcs.set(name, await startSimBmc(bmcPort + index, "on"));
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehfloop\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.6.1] }\n  - { name: n2, id: 2, links: [127.${octet}.6.2] }\n`);
    writeFileSync(join(directory, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes/>
    <resources>
      ${fenceXml("fence-n1", "n1", bmcs.get("n1")!)}
      ${fenceXml("fence-n2", "n2", bmcs.get("n2")!)}
      <group id="web">${cluster.primitiveXml("vip")}${cluster.primitiveXml("proxy")}</group>
    </resources>
    <constraints/>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
  </configuration>
  <status/>
</cib>`);
    cluster.start("n1");
    cluster.start("n2");
    const active = await cluster.waitFor("the group started", () => {
      const files = cluster.running().filter((file) => !file.startsWith("fence"));
      return files.length === 2 && files[0]!.split("@")[1] === files[1]!.split("@")[1] ? files[0]!.split("@")[1] : undefined;
    });
    const survivor = active === "n1" ? "n2" : "n1";

    // The power supply: a BMC at power off takes that node's resources down with it.
    let bothRunning = false;
    let poweredOffAt: number | undefined;
    let survivorStartedAt: number | undefined;
    const sample = () => {
      // A reboot is off then on: the BMC's event log shows the power-off even if we sample after it.
      if (poweredOffAt === undefined && bmcs.get(active)!.events().some((event) => /^power 0/.test(event))) {
        poweredOffAt = Date.now();
        for (const file of cluster.running()) if (file.endsWith(`@${active}`)) rmSync(join(stateFiles, file), { force: true });
      }
      const files = cluster.running();
      if (files.includes(`vip@${active}`) && files.includes(`vip@${survivor}`)) bothRunning = true;
      if (survivorStartedAt === undefined && files.includes(`vip@${survivor}`)) survivorStartedAt = Date.now();
    };
    const supply = setInterval(sample, 20);
    try {
      agents.get(active)!.kill("SIGKILL");
      await cluster.waitFor("the group on the survivor", () => cluster.running().includes(`vip@${survivor}`) && cluster.running().includes(`proxy@${survivor}`));
      sample();
    } finally {
      clearInterval(supply);
    }
    expect(poweredOffAt).toBeDefined();
    expect(survivorStartedAt! - poweredOffAt!, `events ${bmcs.get(active)!.events().join(", ")}`).toBeGreaterThanOrEqual(0);
    expect(bothRunning).toBe(false);
    expect(bmcs.get(active)!.events().some((event) => /^power 0/.test(event))).toBe(true);
    const view = await cluster.waitFor("the fencing in the survivor's status", () => status(survivor)?.cluster_state?.fencing.some((record) => record.target === active && record.state === "done") && status(survivor));
    expect(view.dc).toBe(survivor);
    const text = statusText(survivor, false)!;
    expect(text).toContain(`successful (by ${survivor})`);
    for (const bmc of bmcs.values()) {
      expect(text).not.toContain(bmc.password);
      expect(statusText(survivor, true)).not.toContain(bmc.password);
      for (const name of ["n1", "n2"]) expect(readFileSync(join(directory, `${name}.log`), "utf8")).not.toContain(bmc.password);
    }
  }, 90_000);
});
