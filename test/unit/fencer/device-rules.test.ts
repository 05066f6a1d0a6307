// A fence device's parameters with rules: resolved as Pacemaker's fencer resolves them for its own
// node (pe_rsc_params), the instance-attribute sets whose rules hold there (node attributes, date
// rules) by score, the first value winning; the same values the scheduler resolves for the
// device's operations on that node. The device then fences with that node's value.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { devicesFromCib, runDriverAction, worldFromCib } from "../../../src/fencer";
import { parameterResolver } from "../../../src/scheduler";
import type { FenceDriver } from "../../../fence-drivers/types";

const at = (text: string) => Date.parse(text) / 1000;

// Each node reaches the BMC's management network through its own address (ip by #uname); the
// rack attribute picks the password file; a maintenance window (a date rule) lengthens the timeout.
const cib = importCibXml(`<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"><instance_attributes id="a1"><nvpair id="a1r" name="rack" value="east"/></instance_attributes></node>
    <node id="2" uname="beta"><instance_attributes id="b1"><nvpair id="b1r" name="rack" value="west"/></instance_attributes></node></nodes>
  <resources><primitive id="bmc" class="stonith" type="fence_recorder">
    <instance_attributes id="bmc-alpha" score="20"><rule id="ra" score="0"><expression id="ra1" attribute="#uname" operation="eq" value="alpha"/></rule><nvpair id="bmc-alpha-ip" name="ip" value="10.0.1.1"/></instance_attributes>
    <instance_attributes id="bmc-beta" score="10"><rule id="rb" score="0"><expression id="rb1" attribute="#uname" operation="eq" value="beta"/></rule><nvpair id="bmc-beta-ip" name="ip" value="10.0.2.1"/></instance_attributes>
    <instance_attributes id="bmc-west" score="5"><rule id="rw" score="0"><expression id="rw1" attribute="rack" operation="eq" value="west"/></rule><nvpair id="bmc-west-file" name="username" value="west-op"/></instance_attributes>
    <instance_attributes id="bmc-window" score="3"><rule id="rd" score="0"><date_expression id="rd1" operation="in_range" start="2027-03-01" end="2027-03-31"/></rule><nvpair id="bmc-window-t" name="pcmk_off_timeout" value="120s"/></instance_attributes>
    <instance_attributes id="bmc-base" score="0"><nvpair id="bmc-base-ip" name="ip" value="10.0.0.1"/><nvpair id="bmc-base-file" name="username" value="operator"/><nvpair id="bmc-base-list" name="pcmk_host_list" value="alpha beta"/></instance_attributes>
  </primitive></resources><constraints/></configuration>
  <status><node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member"/><node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`, "devices.xml").cib;

describe("a fence device's parameters with rules", () => {
  it("are resolved for the node whose fencer runs the device, at now, by score", () => {
    const onAlpha = devicesFromCib(cib, { node: "alpha", now: at("2027-01-10T00:00:00Z") })[0]!;
    const onBeta = devicesFromCib(cib, { node: "beta", now: at("2027-03-10T00:00:00Z") })[0]!;
    expect(onAlpha.options).toEqual({ ip: "10.0.1.1", username: "operator" });
    expect(onAlpha.actionTimeoutMs).toBe(60_000);
    expect(onBeta.options).toEqual({ ip: "10.0.2.1", username: "west-op" });
    expect(onBeta.actionTimeoutMs).toBe(120_000);
    expect(onAlpha.hostList).toEqual(["alpha", "beta"]);
    // A node no set names gets the default set's value.
    const elsewhere = devicesFromCib(cib, { node: "gamma", now: at("2027-01-10T00:00:00Z") })[0]!;
    expect(elsewhere.options.ip).toBe("10.0.0.1");
  });

  it("are the parameters the scheduler resolves for the device's start on that node", () => {
    const now = at("2027-03-10T00:00:00Z");
    for (const node of ["alpha", "beta"]) {
      const device = devicesFromCib(cib, { node, now })[0]!;
      const scheduled = parameterResolver(cib, now)("bmc", node, "start")!;
      expect(device.options).toEqual(Object.fromEntries(Object.entries(scheduled).filter(([name]) => !name.startsWith("pcmk_"))));
    }
  });

  it("the fencer's world on a node fences with that node's value", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const recorder: FenceDriver = {
      metadata: { name: "fence_recorder", shortDescription: "", longDescription: "", parameters: [], actions: ["off", "reboot", "monitor"] as never },
      run: async (_action, options) => { seen.push({ ...options }); return { exitCode: 0, message: "done" }; },
    };
    const drivers = new Map([["recorder", recorder]]);
    for (const node of ["alpha", "beta"]) {
      const world = worldFromCib(cib, ["alpha", "beta"], {}, undefined, {}, { now: at("2027-01-10T00:00:00Z") }, node);
      const device = world.devices.find((each) => each.id === "bmc")!;
      const result = await runDriverAction(device, "reboot", node === "alpha" ? "beta" : "alpha", device.actionTimeoutMs, node, drivers);
      expect(result.ok).toBe(true);
    }
    expect(seen.map((options) => `${options.local_node} ${options.ip} ${options.username}`)).toEqual(["alpha 10.0.1.1 operator", "beta 10.0.2.1 west-op"]);
  });
});
