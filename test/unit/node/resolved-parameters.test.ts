// The executor runs an agent with the parameters the DC resolved for this node (issue 18):
// a start sent with them runs with exactly them, its recurring monitors too, and they are kept
// as the definition the resource ran with (across a restart of the agent too), so that an
// orphan's stop uses them (issue 15 A1). An operation sent without them (an older DC) runs the
// configured definition as before. What the node runs on its own (probes, a stop of
// everything) it resolves itself, with the same rules.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flattenSets, importCibXml, type Cib, type Primitive } from "../../../src/cib";
import { definitionChange, parameterDigest } from "../../../src/scheduler/digest";
import { LocalResources } from "../../../src/node/local-resources";
import { cibOf, fakeAgents, probed, quietLogger as quiet } from "../../support/local-resources";

/** "d" has a state file per node by a #uname rule, and a default for any other node. */
function cibWith(epoch: number): Cib {
  const { cib } = importCibXml(`<cib admin_epoch="0" epoch="${epoch}" num_updates="0"><configuration><crm_config/>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources><primitive id="d" class="ocf" provider="test" type="Dummy">
      <instance_attributes id="d-n1" score="1"><rule id="d-n1-r" score="0"><expression id="d-n1-e" attribute="#uname" operation="eq" value="n1"/></rule>
        <nvpair id="d-n1-state" name="state" value="/run/d-n1"/></instance_attributes>
      <instance_attributes id="d-all"><nvpair id="d-all-state" name="state" value="/run/d-any"/></instance_attributes>
      <operations><op id="d-m" name="monitor" interval="1s"/></operations>
    </primitive></resources><constraints/></configuration><status/></cib>`);
  return cib;
}

const empty = (epoch: number): Cib => cibOf(epoch);

function world(node: string, startedFile?: string, initiallyRunning: string[] = []) {
  const { running, calls, runner } = fakeAgents(initiallyRunning, (action, each, intervalMs) => `${action}${intervalMs > 0 ? "/recurring" : ""} ${JSON.stringify(flattenSets(each.instance))}`);
  const resources = new LocalResources(node, runner, quiet, () => 1000, startedFile === undefined ? {} : { startedFile });
  return { running, calls, resources };
}

let stateDir: string;
beforeEach(() => { stateDir = mkdtempSync(join(tmpdir(), "edgeha-params-")); });
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

describe("the executor runs the parameters the DC resolved", () => {
  it("a start runs with the DC's parameters, its monitors too, and an orphan's stop (after a restart of the agent) uses them", async () => {
    const file = join(stateDir, "started.json");
    const first = world("n2", file);
    first.resources.configure(cibWith(2));
    await probed(first.resources, "0.2.0");
    const sent = { state: "/run/from-dc", shared: "from-clone" };
    expect(await first.resources.operate("d", "start", undefined, undefined, undefined, sent)).toEqual({ ok: true });
    expect(first.calls.at(-1)).toBe(`start ${JSON.stringify(sent)}`);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect(first.calls.filter((call) => call.startsWith("monitor/recurring"))).toContain(`monitor/recurring ${JSON.stringify(sent)}`);
    expect(first.calls.filter((call) => call.startsWith("monitor/recurring")).every((call) => call === `monitor/recurring ${JSON.stringify(sent)}`)).toBe(true);
    first.resources.close();
    // The next agent process has only its record; the configuration dropped d meanwhile.
    const second = world("n2", file, ["d"]);
    second.resources.configure(empty(3));
    await probed(second.resources, "0.3.0");
    expect(await second.resources.operate("d", "stop")).toEqual({ ok: true });
    expect(second.calls).toEqual([`monitor ${JSON.stringify(sent)}`, `stop ${JSON.stringify(sent)}`]);
    second.resources.close();
  });

  it("an operation without parameters (an older DC) runs the configured definition as before", async () => {
    const { calls, resources } = world("n2");
    resources.configure(cibWith(2));
    await probed(resources, "0.2.0");
    expect(await resources.operate("d", "start")).toEqual({ ok: true });
    // The configured sets flattened without their rules: the first set's value.
    expect(calls.at(-1)).toBe(`start ${JSON.stringify({ state: "/run/d-n1" })}`);
    resources.close();
  });

  it("a probe, and a stop of everything, resolve the rules on this node", async () => {
    const onN2 = world("n2", undefined, ["d"]);
    onN2.resources.configure(cibWith(2));
    await probed(onN2.resources, "0.2.0");
    expect(onN2.calls[0]).toBe(`monitor ${JSON.stringify({ state: "/run/d-any" })}`);
    expect(await onN2.resources.stopAll()).toEqual([]);
    expect(onN2.calls.at(-1)).toBe(`stop ${JSON.stringify({ state: "/run/d-any" })}`);
    onN2.resources.close();
    const onN1 = world("n1");
    onN1.resources.configure(cibWith(2));
    await probed(onN1.resources, "0.2.0");
    expect(onN1.calls[0]).toBe(`monitor ${JSON.stringify({ state: "/run/d-n1" })}`);
    onN1.resources.close();
  });
});

describe("the executor records op-digest of what ran", () => {
  const digestOf = (resources: LocalResources, operation: string) => resources.report().resources.d?.operations.find((record) => record.operation === operation && record.intervalMs === 0)?.attributes["op-digest"];

  it("a probe and a start sent with the DC's parameters carry their digest; the scheduler then sees a changed value as a restart", async () => {
    const { resources } = world("n2", undefined, ["d"]);
    resources.configure(cibWith(2));
    await probed(resources, "0.2.0");
    // The probe ran with this node's resolution of the rules.
    expect(digestOf(resources, "monitor")).toBe(parameterDigest({ state: "/run/d-any" }));
    const sent = { state: "/run/d-any" };
    expect(await resources.operate("d", "start", undefined, undefined, undefined, sent)).toEqual({ ok: true });
    const started = resources.report().resources.d!.operations.filter((record) => record.intervalMs === 0);
    expect(started.map((record) => [record.operation, record.attributes["op-digest"]])).toEqual([["start", parameterDigest(sent)]]);
    const now = { now: 1000, node: { "#uname": "n2" } };
    const configured = cibWith(3).resources[0] as Primitive;
    expect(definitionChange(configured, [], started, now)).toBe("none");
    const changed = JSON.parse(JSON.stringify(configured).replace("/run/d-any", "/run/d-new")) as Primitive;
    expect(definitionChange(changed, [], started, now)).toBe("restart");
    resources.close();
  });

  it("a start sent without parameters (an older DC) records no digest: unknown, never a restart", async () => {
    const { resources } = world("n2");
    resources.configure(cibWith(2));
    await probed(resources, "0.2.0");
    expect(await resources.operate("d", "start")).toEqual({ ok: true });
    const records = resources.report().resources.d!.operations.filter((record) => record.intervalMs === 0);
    expect(records.map((record) => record.attributes["op-digest"])).toEqual([undefined]);
    const changed = JSON.parse(JSON.stringify(cibWith(3).resources[0]).replace("/run/d-any", "/run/d-new")) as Primitive;
    expect(definitionChange(changed, [], records, { now: 1000, node: { "#uname": "n2" } })).toBe("none");
    resources.close();
  });
});
