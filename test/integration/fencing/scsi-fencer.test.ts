// `edgeha stonith ...` end to end: a CIB with a scsi stonith resource, the fencer's
// planner and runner, our iSCSI initiator and a real tgtd; the history file and
// every output are checked for the device's secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { hasCommand, isRoot, reasonMissing } from "../../support/environment";
import { cli } from "../../support/cli";
import { closeScsiSessions, scsiDriver } from "../../../fence-drivers/scsi/index";

// tgtd needs root for its control socket under /var/run/tgtd.
const missing = !isRoot() ? "needs root for tgtd" : !hasCommand("tgtd") || !hasCommand("tgtadm") ? reasonMissing("tgtd", "tgtadm") : "";
const port = 33800 + (process.pid % 199);
const controlPort = 23800 + (process.pid % 199);
const targetName = `iqn.2026-11.io.edgeha.test:fencer${process.pid}`;
const secret = "pw-never-printed-7731";


describe.skipIf(missing !== "")(`stonith commands with a scsi device on tgtd ${missing}`, () => { // skipped: without root or tgtd; the title names what is missing
  let directory = "";
  let tgtd: ChildProcess | undefined;
  let cibFile = "";
  let historyFile = "";
  const device = () => `iscsi://127.0.0.1:${port}/${targetName}/1`;
  const adm = (...args: string[]) => spawnSync("tgtadm", ["-C", String(controlPort), "--lld", "iscsi", ...args], { timeout: 10_000 }).status;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "eh-scsi-cli-"));
    spawnSync("truncate", ["-s", "8M", path.join(directory, "lun1.img")]);
    tgtd = spawn("tgtd", ["-f", "-C", String(controlPort), "--iscsi", `portal=127.0.0.1:${port}`], { stdio: "ignore" });
    for (let attempt = 0; attempt < 50 && adm("--op", "show", "--mode", "target") !== 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(adm("--op", "new", "--mode", "target", "--tid", "1", "-T", targetName)).toBe(0);
    expect(adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", path.join(directory, "lun1.img"))).toBe(0);
    expect(adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")).toBe(0);
    cibFile = path.join(directory, "cib.xml");
    historyFile = path.join(directory, "history.json");
    writeFileSync(cibFile, `<cib admin_epoch="0" epoch="3" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-timeout" value="30s"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/><node id="3" uname="gamma"/></nodes>
    <resources>
      <primitive id="fence-disk" class="stonith" type="scsi">
        <instance_attributes id="fence-disk-attributes">
          <nvpair id="a1" name="devices" value="${device()}"/>
          <nvpair id="a2" name="cluster_name" value="pair"/>
          <nvpair id="a3" name="node_ids" value="alpha:1,beta:2"/>
          <nvpair id="a4" name="passwd" value="${secret}"/>
          <nvpair id="a5" name="pcmk_host_list" value="alpha beta"/>
        </instance_attributes>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`);
  }, 30_000);

  afterAll(async () => {
    await closeScsiSessions();
    tgtd?.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
  });

  it("fences a node through the CIB's device, records it, and never prints the secret", async () => {
    const context = { signal: AbortSignal.timeout(10_000), debug: () => {} };
    const base = { devices: device(), cluster_name: "pair", node_ids: "alpha:1,beta:2" };
    expect((await scsiDriver.run("on", { ...base, plug: "alpha" }, context)).exitCode).toBe(0);
    expect((await scsiDriver.run("on", { ...base, plug: "beta" }, context)).exitCode).toBe(0);

    const tested = await cli("stonith", "test", "fence-disk", "--cib", cibFile, "--node", "beta");
    expect(tested.err).toBe("");
    expect(tested.status).toBe(0);
    const fenced = await cli("stonith", "fence", "beta", "--off", "--cib", cibFile, "--from", "alpha", "--history", historyFile, "--json");
    expect(fenced.err).toBe("");
    expect(JSON.parse(fenced.out)).toMatchObject({ target: "beta", action: "off", state: "done", device: "fence-disk", executor: "alpha" });
    const status = await scsiDriver.run("status", { ...base, plug: "beta", local_node: "alpha" }, context);
    expect(status.state).toBe("off");

    await cli("stonith", "confirm", "beta", "--from", "alpha", "--history", historyFile, "--force");
    const history = await cli("stonith", "history", "beta", "--history", historyFile, "--json");
    expect(JSON.parse(history.out).map((record: { action: string; state: string }) => `${record.action}:${record.state}`)).toEqual(["off:done", "confirm:done"]);

    for (const text of [tested.out, tested.err, fenced.out, fenced.err, history.out, readFileSync(historyFile, "utf8")]) expect(text).not.toContain(secret);
  }, 60_000);

  it("fails fencing a node no device covers, with a reason in the history", async () => {
    const result = await cli("stonith", "fence", "gamma", "--off", "--cib", cibFile, "--from", "alpha", "--history", historyFile, "--json");
    expect(result.status).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ target: "gamma", state: "failed", reason: "no fence device can fence gamma" });
    const history = await cli("stonith", "history", "gamma", "--history", historyFile, "--json");
    expect(JSON.parse(history.out)).toMatchObject([{ target: "gamma", state: "failed" }]);
    expect(result.out).not.toContain(secret);
  }, 60_000);
});
