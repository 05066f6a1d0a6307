import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// "meter" runs on "one"; its 20 s monitor failed once and a later run of that same monitor
// succeeded (or the other way round). "two" is also up.
interface Record_ { operation: string; call: number; rc: number; interval?: number; changed?: number; id?: string }
function run(records: Record_[], onFail?: string): Record<string, unknown>[] {
  const op = onFail ? `<operations><op id="m" name="monitor" interval="20s" on-fail="${onFail}"/></operations>` : `<operations><op id="m" name="monitor" interval="20s"/></operations>`;
  const history = records.map((record, index) => `<lrm_rsc_op id="${record.id ?? `r${index}`}" operation="${record.operation}" call-id="${record.call}" rc-code="${record.rc}" op-status="0" interval="${record.interval ?? 0}"${record.changed ? ` last-rc-change="${record.changed}"` : ""}/>`).join("");
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="one"/><node id="2" uname="two"/></nodes>
  <resources><primitive id="meter" class="ocf" provider="acme" type="meter">${op}</primitive></resources>
  <constraints><rsc_location id="l" rsc="meter" node="one" score="100"/></constraints></configuration>
  <status><node_state id="1" uname="one" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="meter" class="ocf" provider="acme" type="meter">${history}</lrm_resource></lrm_resources></lrm></node_state>
  <node_state id="2" uname="two" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
  return schedule(importCibXml(xml, "recovery").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

const start = { operation: "start", call: 1, rc: 0 };
const failedMonitor = { operation: "monitor", call: 2, rc: 1, interval: 20000 };
const goodMonitor = { operation: "monitor", call: 3, rc: 0, interval: 20000 };

describe("a failed monitor followed by a success of the same monitor", () => {
  it("is cleared for the default on-fail (restart): nothing to recover", () => {
    expect(run([start, failedMonitor, goodMonitor])).toEqual([]);
    // Without the later success it is recovered.
    expect(sameActions(run([start, failedMonitor]), [{ action: "recover", resource: "meter", node: "one" }])).toBe(true);
  });

  it("is cleared for on-fail=block too: the resource is managed again", () => {
    expect(run([start, failedMonitor, goodMonitor], "block")).toEqual([]);
  });

  it("is not cleared when on-fail asks to stop the resource", () => {
    expect(sameActions(run([start, failedMonitor, goodMonitor], "stop"), [{ action: "stop", resource: "meter", node: "one" }])).toBe(true);
  });

  it("a failure after the success counts again", () => {
    expect(sameActions(run([start, failedMonitor, goodMonitor, { operation: "monitor", call: 4, rc: 1, interval: 20000 }]), [{ action: "recover", resource: "meter", node: "one" }])).toBe(true);
  });
});

describe("two records of one call (its last result and its last failure)", () => {
  it("the one whose result changed later is the newer, whatever their order in the status", () => {
    const sameCall = (failureChanged: number, successChanged: number) => [start,
      { operation: "monitor", call: 2, rc: 0, interval: 20000, changed: successChanged, id: "meter_monitor_20000" },
      { operation: "monitor", call: 2, rc: 1, interval: 20000, changed: failureChanged, id: "meter_last_failure_0" }];
    // The success is newer: nothing to do.
    expect(run(sameCall(1000, 2000))).toEqual([]);
    // The failure is newer: recovery.
    expect(sameActions(run(sameCall(2000, 1000)), [{ action: "recover", resource: "meter", node: "one" }])).toBe(true);
  });
});

describe("a failure recorded for other parameters", () => {
  it("no longer counts once the configuration gives the resource other parameters (the last failure's digest differs)", () => {
    const recorded = "b904c6924aa24987a8028279e9efbfc4"; // the digest of port=1984 server=a
    const xml = (port: string) => `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="a"/></nodes><resources><primitive id="r" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="i"><nvpair id="i1" name="server" value="a"/><nvpair id="i2" name="port" value="${port}"/></instance_attributes></primitive></resources><constraints/></configuration>
      <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="1"><instance_attributes id="t"><nvpair id="t1" name="fail-count-r" value="INFINITY"/></instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources><lrm_resource id="r" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="r_last_0" operation="stop" call-id="3" rc-code="0" op-status="0" interval="0" op-digest="${recorded}"/>
      <lrm_rsc_op id="r_last_failure_0" operation="start" call-id="2" rc-code="1" op-status="0" interval="0" op-digest="${recorded}"/></lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
    expect(schedule(importCibXml(xml("1984"), "same").cib, { now: 0 }).actions).toEqual([]);
    expect(schedule(importCibXml(xml("1985"), "changed").cib, { now: 0 }).actions).toMatchObject([{ action: "start", resource: "r", node: "a" }]);
  });
});
