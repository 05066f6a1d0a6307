// The DC sends each resource operation with the parameters its scheduler resolved for the
// node it runs on (issue 18): instance attributes whose rules hold there (a #uname rule gives
// each node its own value) and the group's or clone's instance attributes, as Pacemaker's
// graph carries them. The message passes the protocol checks on the way (the harness sends
// every message through checkControllerMessage), and the values never reach the DC's log.
import { describe, expect, it } from "vitest";
import { importCibXml, type Cib } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function cibOf(resources: string): Cib {
  const { cib } = importCibXml(`<cib admin_epoch="0" epoch="3" num_updates="0"><configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>${resources}</resources><constraints/></configuration><status/></cib>`);
  return cib;
}

const PER_NODE = `
  <clone id="dummies">
    <instance_attributes id="dummies-ia"><nvpair id="dummies-shared" name="shared" value="from-clone"/></instance_attributes>
    <primitive id="d" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="d-n1" score="2"><rule id="d-n1-r" score="0"><expression id="d-n1-e" attribute="#uname" operation="eq" value="n1"/></rule>
        <nvpair id="d-n1-state" name="state" value="/run/d-n1"/></instance_attributes>
      <instance_attributes id="d-n2" score="1"><rule id="d-n2-r" score="0"><expression id="d-n2-e" attribute="#uname" operation="eq" value="n2"/></rule>
        <nvpair id="d-n2-state" name="state" value="/run/d-n2"/></instance_attributes>
      <instance_attributes id="d-all"><nvpair id="d-all-state" name="state" value="/run/d-any"/><nvpair id="d-all-secret" name="password" value="s3cret-value"/></instance_attributes>
    </primitive>
  </clone>`;

describe("the DC sends the parameters it resolved for each node", () => {
  it("each instance of a clone starts with its own node's rule value and the clone's sets", () => {
    const world = new ControllerWorld(["n1", "n2"], cibOf(PER_NODE));
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const byNode = Object.fromEntries(world.starts.map((start) => [start.node, start.params]));
    expect(byNode).toEqual({
      n1: { state: "/run/d-n1", shared: "from-clone", password: "s3cret-value" },
      n2: { state: "/run/d-n2", shared: "from-clone", password: "s3cret-value" },
    });
    // The secret went to the node that runs the agent, not into the DC's log lines.
    expect(world.log.join("\n")).not.toContain("s3cret-value");
  });

  it("a stop carries the parameters too; a group's sets are inherited by its members", () => {
    const cib = cibOf(`<group id="g"><instance_attributes id="g-ia"><nvpair id="g-port" name="port" value="8080"/><nvpair id="g-user" name="user" value="www"/></instance_attributes>
      <primitive id="m" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="m-ia"><nvpair id="m-port" name="port" value="9090"/><nvpair id="m-dir" name="dir" value="/srv"/></instance_attributes></primitive></group>`);
    const world = new ControllerWorld(["n1", "n2"], cib);
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const holder = world.activeNodes("m")[0]!;
    // The member's own value wins over the group's.
    expect(world.parameters.get(`start m on ${holder}`)).toEqual({ port: "9090", dir: "/srv", user: "www" });
    const moved = JSON.parse(JSON.stringify(cib)) as Cib;
    moved.version = { adminEpoch: 0, epoch: 4, numUpdates: 0 };
    moved.constraints = [{ kind: "location", id: "away", rsc: "g", node: holder, score: "-INFINITY", rules: [], extra: {} }];
    world.feed(world.node(holder), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(moved)) } });
    world.run(2000);
    expect(world.parameters.get(`stop m on ${holder}`)).toEqual({ port: "9090", dir: "/srv", user: "www" });
  });
});

describe("a parameter change of a running resource (op-digest)", () => {
  const VIP = (ip: string) => `<primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="${ip}"/></instance_attributes></primitive>`;

  function changed(cib: Cib, resources: string, epoch: number): Cib {
    const next = JSON.parse(JSON.stringify(cibOf(resources))) as Cib;
    next.version = { adminEpoch: 0, epoch, numUpdates: 0 };
    next.status = cib.status;
    return next;
  }

  it("restarts it where it runs, with the new value, and only once", () => {
    const cib = cibOf(VIP("192.0.2.10"));
    const world = new ControllerWorld(["n1", "n2"], cib);
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const holder = world.activeNodes("vip")[0]!;
    expect(world.starts.map((start) => start.params)).toEqual([{ ip: "192.0.2.10" }]);
    const before = world.operations.length;
    world.feed(world.node(holder), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(changed(cib, VIP("192.0.2.20"), 4))) } });
    world.run(4000);
    const after = world.operations.slice(before);
    expect(after.filter((operation) => operation.startsWith("stop vip") || operation.startsWith("start vip"))).toEqual([`stop vip on ${holder}`, `start vip on ${holder}`]);
    expect(world.parameters.get(`start vip on ${holder}`)).toEqual({ ip: "192.0.2.20" });
    expect(world.activeNodes("vip")).toEqual([holder]);
  });

  it("a change of an unrelated resource leaves it running", () => {
    const cib = cibOf(VIP("192.0.2.10"));
    const world = new ControllerWorld(["n1", "n2"], cib);
    world.view(1, ["n1", "n2"]);
    world.run(2000);
    const before = world.operations.length;
    const other = `<primitive id="other" class="ocf" provider="heartbeat" type="Dummy"/>`;
    world.feed(world.node(world.activeNodes("vip")[0]!), { kind: "client", nowMs: world.nowMs, clientId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: JSON.parse(JSON.stringify(changed(cib, VIP("192.0.2.10") + other, 4))) } });
    world.run(4000);
    expect(world.operations.slice(before).filter((operation) => operation.includes(" vip "))).toEqual([]);
  });
});
