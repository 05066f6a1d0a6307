// The fencer with an ipmi-serial device from a CIB (`edgeha stonith test/fence`),
// against the test serial BMC in Terminal Mode with a login: the node is powered
// off, the history records it, and the login password never appears.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonMissing } from "../../support/environment";
import { cli } from "../../support/cli";
import { startPtyPair, startSerialBmc, type PtyPair, type SerialBmc } from "../../support/serial-bmc";

// Skips without socat (package socat), which makes the pseudo-terminal pair.
const missing = reasonMissing("socat");
// Terminal Mode passwords are at most 16 characters.
const secret = `fencer-pw-${process.pid % 100000}`;

describe.skipIf(missing !== "")(`stonith commands with an ipmi-serial device ${missing}`, () => { // skipped: without socat, which makes the pseudo-terminal pair (the reason is in the title).
  let directory = "";
  let pair: PtyPair;
  let bmc: SerialBmc;
  let cibFile = "";
  let historyFile = "";

  beforeAll(async () => {
    pair = await startPtyPair();
    bmc = startSerialBmc(pair.bmc, "terminal", "on");
    bmc.login = { username: "fencer", password: secret };
    directory = mkdtempSync(path.join(tmpdir(), "eh-serial-fencer-"));
    cibFile = path.join(directory, "cib.xml");
    historyFile = path.join(directory, "history.json");
    writeFileSync(cibFile, `<cib admin_epoch="0" epoch="3" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="o1" name="stonith-timeout" value="30s"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
    <resources>
      <primitive id="fence-beta-serial" class="stonith" type="fence_ipmi_serial">
        <instance_attributes id="fence-beta-serial-attributes">
          <nvpair id="a1" name="serial_port" value="${pair.client}"/>
          <nvpair id="a2" name="mode" value="terminal"/>
          <nvpair id="a3" name="login" value="fencer"/>
          <nvpair id="a4" name="passwd" value="${secret}"/>
          <nvpair id="a5" name="shell_timeout" value="2"/>
          <nvpair id="a6" name="pcmk_host_list" value="beta"/>
        </instance_attributes>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`);
  });

  afterAll(async () => {
    bmc?.close();
    await pair?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it("tests the device, fences beta off through it, records it, and never prints the password", async () => {
    const tested = await cli("stonith", "test", "fence-beta-serial", "--cib", cibFile, "--node", "beta");
    expect(tested.err).toBe("");
    expect(tested.status).toBe(0);
    const fenced = await cli("stonith", "fence", "beta", "--off", "--cib", cibFile, "--from", "alpha", "--history", historyFile, "--json");
    expect(fenced.err).toBe("");
    expect(JSON.parse(fenced.out)).toMatchObject({ target: "beta", action: "off", state: "done", device: "fence-beta-serial", executor: "alpha" });
    expect(bmc.power).toBe("off");
    expect(bmc.requests).toContain("SYS PWD -U fencer ******");
    expect(bmc.requests).toContain("00/02 00");
    const history = await cli("stonith", "history", "beta", "--history", historyFile, "--json");
    expect(JSON.parse(history.out).map((record: { action: string; state: string }) => `${record.action}:${record.state}`)).toEqual(["off:done"]);
    for (const text of [tested.out, tested.err, fenced.out, fenced.err, history.out, readFileSync(historyFile, "utf8")]) expect(text).not.toContain(secret);
  });
});
