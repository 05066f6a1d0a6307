// A node with two power supplies, each behind its own BMC outlet (two OpenIPMI ipmi_sim BMCs),
// both on one fencing level, fenced with the action reboot through edgeha's ipmilan driver: the
// reboot runs as off on both, then on on both (Pacemaker's remapped topology reboot), so at the
// moment the fencing is reported done both supplies read off. Rebooting them in turn (A off/on,
// then B off/on) would report the node fenced although it never lost power.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonMissing } from "../../support/environment";
import { startSimBmc, type SimBmc } from "../../support/ipmi/sim";
import { cli } from "../../support/cli";
import { readCibFile } from "../../../src/cib/read";
import { fenceNow, localFenceRunner, worldFromCib, type HistoryRecord } from "../../../src/fencer/index";

const missing = reasonMissing("ipmi_sim", "ipmitool");
const port = 36100 + (process.pid % 200) * 2;

function supplyXml(id: string, bmc: SimBmc): string {
  return `<primitive id="${id}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="${id}-i">
          <nvpair id="${id}-1" name="ip" value="127.0.0.1"/><nvpair id="${id}-2" name="ipport" value="${bmc.port}"/>
          <nvpair id="${id}-3" name="username" value="${bmc.user}"/><nvpair id="${id}-4" name="password" value="${bmc.password}"/>
          <nvpair id="${id}-5" name="lanplus" value="1"/><nvpair id="${id}-6" name="pcmk_host_list" value="beta"/>
        </instance_attributes>
      </primitive>`;
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(missing !== "")(`a reboot on a level of two power supplies ${missing}`, () => { // skipped: without ipmi_sim (the BMCs) or ipmitool; the title names what is missing
  const bmcs: SimBmc[] = [];
  let directory = "";
  let cibFile = "";

  beforeAll(async () => {
    bmcs.push(await startSimBmc(port, "on"), await startSimBmc(port + 1, "on"));
    directory = mkdtempSync(join(tmpdir(), "eh-two-psu-"));
    cibFile = join(directory, "cib.xml");
    writeFileSync(cibFile, `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-timeout" value="60s"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
    <resources>
      ${supplyXml("psu-a", bmcs[0]!)}
      ${supplyXml("psu-b", bmcs[1]!)}
    </resources>
    <constraints/>
    <fencing-topology><fencing-level id="fl-beta-1" target="beta" index="1" devices="psu-a,psu-b"/></fencing-topology>
  </configuration>
  <status/>
</cib>
`);
  }, 60_000);

  afterAll(() => {
    for (const bmc of bmcs) bmc.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it("both supplies are off when the fencing is done; then both are switched on again", async () => {
    const world = worldFromCib(readCibFile(cibFile).cib);
    const records: HistoryRecord[] = [];
    // What the BMCs read at the moment each record was given (the done record: the fencing is confirmed).
    const powerAt: Array<{ state: string; psus: string[] }> = [];
    const ons: Array<{ ok: boolean; device?: string }> = [];
    const record = await fenceNow(world, "beta", "reboot", "alpha", localFenceRunner, (entry) => {
      records.push(entry);
      powerAt.push({ state: entry.state, psus: bmcs.map((bmc) => bmc.power()) });
    }, "two-psu-1", undefined, { onRebootOn: (ok, _message, device) => ons.push({ ok, ...(device ? { device } : {}) }) });
    expect(powerAt.filter(({ state }) => state === "done")).toEqual([{ state: "done", psus: ["off", "off"] }]);
    expect(record).toMatchObject({ target: "beta", action: "reboot", state: "done", device: "psu-a,psu-b", executor: "alpha" });
    expect(records[0]!.state).toBe("pending");
    expect(records.find((entry) => entry.state === "pending" && /runs as off on every one, then on/.test(entry.reason))).toBeDefined();
    await waitFor("both supplies switched on again", () => ons.length === 2);
    expect(ons).toEqual([{ ok: true, device: "psu-a" }, { ok: true, device: "psu-b" }]);
    expect(bmcs.map((bmc) => bmc.power())).toEqual(["on", "on"]);
    // Each BMC saw exactly one off, then one on (no power cycle of one supply while the other fed the node).
    for (const bmc of bmcs) expect(bmc.events()).toEqual(["power 0", "power 1"]);
  }, 60_000);

  it("stonith fence --cib: the history names both devices and how the reboot ran; the password never shows", async () => {
    const historyFile = join(directory, "history.json");
    const fenced = await cli("stonith", "fence", "beta", "--reboot", "--cib", cibFile, "--from", "alpha", "--history", historyFile);
    expect(fenced.err).toBe("");
    expect(fenced.status).toBe(0);
    expect(fenced.out).toMatch(/reboot beta: done by psu-a,psu-b on alpha .*beta is off on every device of level 1 \(psu-a, psu-b\)/);
    await waitFor("both supplies switched on again", () => bmcs.every((bmc) => bmc.events().length === 4));
    for (const bmc of bmcs) expect(bmc.events().slice(2)).toEqual(["power 0", "power 1"]);
    const history = await cli("stonith", "history", "beta", "--history", historyFile, "--json");
    expect(JSON.parse(history.out)).toMatchObject([{ action: "reboot", state: "done", device: "psu-a,psu-b" }]);
    for (const text of [fenced.out, history.out, readFileSync(historyFile, "utf8")]) for (const bmc of bmcs) expect(text).not.toContain(bmc.password);
  }, 60_000);
});
