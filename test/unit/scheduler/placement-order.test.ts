// The order in which resources and clone instances are placed, where it decides ties between
// nodes (Pacemaker's cmp_resources under a utilization strategy, pcmk__cmp_instance for a
// clone's instances), and the room a resource needs for what is colocated with it. Each case
// was checked against crm_simulate 2.1.5.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";

const dummy = (id: string) => `<primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy"/>`;
const op = (resource: string, call: number, running: boolean) => running
  ? `<lrm_rsc_op id="${resource}_last_0" operation_key="${resource}_start_0" operation="start" transition-key="${call}:1:0:x" transition-magic="0:0;${call}:1:0:x" call-id="${call}" rc-code="0" op-status="0" interval="0"/>`
  : `<lrm_rsc_op id="${resource}_last_0" operation_key="${resource}_monitor_0" operation="monitor" transition-key="${call}:1:7:x" transition-magic="0:7;${call}:1:7:x" call-id="${call}" rc-code="7" op-status="0" interval="0"/>`;

/** A cluster of nodes n1..nN; `running` says what runs where (every other resource was probed and found stopped). */
function run(options: { properties?: string; nodes: number; standby?: string[]; cpu?: number[]; resources: string; constraints?: string; ids: string[]; running: Record<string, string[]> }): string[] {
  const names = Array.from({ length: options.nodes }, (_, index) => `n${index + 1}`);
  const capacity = (name: string, index: number) => options.cpu ? `<utilization id="${name}-u"><nvpair id="${name}-u1" name="cpu" value="${options.cpu[index]}"/></utilization>` : "";
  const nodes = names.map((name, index) => `<node id="${index + 1}" uname="${name}">${capacity(name, index)}${options.standby?.includes(name) ? `<instance_attributes id="${name}-a"><nvpair id="${name}-s" name="standby" value="on"/></instance_attributes>` : ""}</node>`).join("");
  const status = names.map((name, index) => `<node_state id="${index + 1}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${index + 1}"><lrm_resources>${options.ids.map((id, call) => `<lrm_resource id="${id}" class="ocf" provider="pacemaker" type="Dummy">${op(id, call + 1, (options.running[name] ?? []).includes(id))}</lrm_resource>`).join("")}</lrm_resources></lrm></node_state>`).join("");
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/>${options.properties ?? ""}</cluster_property_set></crm_config>
    <nodes>${nodes}</nodes><resources>${options.resources}</resources><constraints>${options.constraints ?? ""}</constraints></configuration><status>${status}</status></cib>`;
  return schedule(importCibXml(xml, "placement-order").cib, { now: 0 }).actions
    .map((action) => `${action.action} ${action.resource}${action.from ? ` ${action.from}->${action.to}` : action.node ? ` ${action.node}` : ""}`).sort();
}

const utilization = `<nvpair id="o2" name="placement-strategy" value="utilization"/>`;

describe("placement order under a utilization strategy (cmp_resources)", () => {
  it("a clone is ranked by its own score on its node, without its instances' stickiness: a primitive written first keeps its node", () => {
    // Ranked by the instance's stickiness, the clone went first and its instance on n1 pushed p (no stickiness) to the emptier n2.
    const clone = `<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="1"/></meta_attributes>${dummy("d")}</clone>`;
    expect(run({ properties: utilization, nodes: 2, resources: dummy("p") + clone, ids: ["p", "d"], running: { n1: ["p", "d"] } })).toEqual([]);
  });

  it("a resource is ranked with the scores of what it is colocated with", () => {
    // vm is colocated with a clone banned from n1, so it ranks after s (banned from n2): s keeps n3,
    // then vm takes the emptier n2. Ranked by its own scores alone, vm went first, kept n3 and pushed s to n1.
    const clone = `<clone id="lib-clone"><meta_attributes id="lm"><nvpair id="lm1" name="clone-max" value="2"/></meta_attributes>${dummy("lib")}</clone>`;
    const constraints = `<rsc_location id="l1" rsc="lib-clone" node="n1" score="-INFINITY"/><rsc_location id="l2" rsc="s" node="n2" score="-INFINITY"/><rsc_colocation id="c1" rsc="vm" with-rsc="lib-clone" score="INFINITY"/>`;
    expect(run({ properties: utilization, nodes: 3, resources: clone + dummy("vm") + dummy("s"), constraints, ids: ["lib", "vm", "s"], running: { n2: ["lib"], n3: ["lib", "vm", "s"] } })).toEqual(["move vm n3->n2"]);
  });
});

describe("clone instance order (pcmk__cmp_instance)", () => {
  it("an instance that is active, even on a node that can no longer run it, is placed before an inactive one", () => {
    // d:1 runs on n3 (standby) and is placed first, on n2 (empty); d:0 then takes n1 (ties by name).
    const clone = `<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="globally-unique" value="true"/><nvpair id="cm2" name="clone-max" value="2"/><nvpair id="cm3" name="clone-node-max" value="2"/></meta_attributes>${dummy("d")}</clone>`;
    expect(run({ nodes: 3, standby: ["n3"], resources: dummy("x") + clone, ids: ["x", "d:0", "d:1"], running: { n1: ["x"], n3: ["d:1"] } })).toEqual(["move d:1 n3->n2", "start d:0 n1"]);
  });
});

describe("room for what is colocated (pcmk__ban_insufficient_capacity)", () => {
  it("a clone instance needs room for a clone colocated with it too, so both go where they fit together", () => {
    // a:0 alone fits on n1 (cpu 2), but b:0 of the clone colocated with it then fits nowhere; together they need 3: n2.
    const using = (id: string, cpu: number) => `<primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy"><utilization id="${id}-u"><nvpair id="${id}-u1" name="cpu" value="${cpu}"/></utilization></primitive>`;
    const clone = (id: string, child: string) => `<clone id="${id}"><meta_attributes id="${id}-m"><nvpair id="${id}-m1" name="clone-max" value="1"/></meta_attributes>${child}</clone>`;
    const constraints = `<rsc_colocation id="c2-with-c1" rsc="c2" with-rsc="c1" score="INFINITY"/>`;
    expect(run({ properties: utilization, nodes: 2, cpu: [2, 4], resources: clone("c1", using("a", 1)) + clone("c2", using("b", 2)), constraints, ids: [], running: {} })).toEqual(["start a:0 n2", "start b:0 n2"]);
  });
});
