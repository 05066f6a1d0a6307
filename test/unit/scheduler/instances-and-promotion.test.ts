import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// Rules of clone instance numbering, interleaving and promotion, each on a small cluster
// written here: nodes are named after colours, resources after what they might do.
interface Op { operation: string; rc: number; call: number; interval?: number; status?: number; magic?: string }
function cib(options: { nodes: string[]; resources: string; constraints?: string; status: Record<string, Record<string, Op[]>>; attrs?: Record<string, Record<string, string>>; properties?: Record<string, string>; quorum?: boolean; lost?: string[] }) {
  const properties = { "stonith-enabled": "false", ...(options.properties ?? {}) };
  const nodeStates = options.nodes.map((name, index) => {
    const resources = Object.entries(options.status[name] ?? {}).map(([rsc, ops]) => `<lrm_resource id="${rsc}" class="ocf" provider="pacemaker" type="Stateful">${
      ops.map((op) => `<lrm_rsc_op id="${rsc}-${op.operation}-${op.call}" operation="${op.operation}" call-id="${op.call}" rc-code="${op.rc}" op-status="${op.status ?? 0}" interval="${op.interval ?? 0}"${op.magic ? ` transition-magic="${op.magic}"` : ""}/>`).join("")}</lrm_resource>`).join("");
    const attrs = Object.entries(options.attrs?.[name] ?? {}).map(([key, value]) => `<nvpair id="t-${index}-${key}" name="${key}" value="${value}"/>`).join("");
    const up = !(options.lost ?? []).includes(name);
    return `<node_state id="${index + 1}" uname="${name}" in_ccm="${up}" crmd="${up ? "online" : "offline"}" join="member" expected="member"><transient_attributes id="ta${index}"><instance_attributes id="ti${index}">${attrs}</instance_attributes></transient_attributes><lrm id="l${index}"><lrm_resources>${resources}</lrm_resources></lrm></node_state>`;
  }).join("");
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorum === false ? 0 : 1}"><configuration>
  <crm_config><cluster_property_set id="opts">${Object.entries(properties).map(([key, value]) => `<nvpair id="p-${key}" name="${key}" value="${value}"/>`).join("")}</cluster_property_set></crm_config>
  <nodes>${options.nodes.map((name, index) => `<node id="${index + 1}" uname="${name}"/>`).join("")}</nodes>
  <resources>${options.resources}</resources><constraints>${options.constraints ?? ""}</constraints></configuration><status>${nodeStates}</status></cib>`;
  return importCibXml(xml, "instances-test").cib;
}
const run = (input: ReturnType<typeof cib>) => schedule(input, { now: 0 }).actions as never as Record<string, unknown>[];
const meta = (id: string, pairs: Record<string, string>) => `<meta_attributes id="${id}">${Object.entries(pairs).map(([key, value]) => `<nvpair id="${id}-${key}" name="${key}" value="${value}"/>`).join("")}</meta_attributes>`;
const promotable = (id: string, child: string, extra: Record<string, string> = {}) => `<clone id="${id}">${meta(`${id}-m`, { promotable: "true", ...extra })}<primitive id="${child}" class="ocf" provider="pacemaker" type="Stateful"/></clone>`;

describe("promotable instance roles from history", () => {
  it("an instance whose demote failed is taken as Unpromoted when it leaves its node", () => {
    const actions = run(cib({
      nodes: ["amber", "teal"],
      resources: promotable("ledger-clone", "ledger"),
      constraints: `<rsc_location id="away" rsc="ledger-clone" node="amber" score="-INFINITY"/>`,
      status: { amber: { ledger: [{ operation: "start", rc: 0, call: 2 }, { operation: "promote", rc: 0, call: 3 }, { operation: "demote", rc: 1, call: 4 }] } },
    }));
    const leaving = actions.filter((action) => action.node === "amber" || action.from === "amber");
    expect(leaving).toHaveLength(1);
    expect(leaving[0]).toMatchObject({ resource: "ledger:0", role: "Unpromoted" });
    expect(leaving[0]!.from_role).toBeUndefined();
  });
});

const clone = (id: string, child: string, extra: Record<string, string> = {}) => `<clone id="${id}">${meta(`${id}-m`, extra)}<primitive id="${child}" class="ocf" provider="heartbeat" type="Dummy"/></clone>`;
const ban = (rsc: string, node: string) => `<rsc_location id="ban-${rsc}-${node}" rsc="${rsc}" node="${node}" score="-INFINITY"/>`;
const three = ["amber", "teal", "coral"];
const startsOf = (actions: Record<string, unknown>[], resource: string) => actions.filter((action) => action.action === "start" && String(action.resource).startsWith(`${resource}:`));

describe("orders after a clone with clone-min", () => {
  const base = (min: string) => clone("base-clone", "base", { "clone-min": min });
  const app = clone("app-clone", "app", { interleave: "true" });
  const order = `<rsc_order id="base-then-app" first="base-clone" then="app-clone"/>`;

  it("counts first's instances over the whole clone, so an interleaved then may start where first does not run", () => {
    const actions = run(cib({ nodes: three, resources: base("2") + app, constraints: order + ban("base-clone", "coral"), status: {} }));
    expect(startsOf(actions, "base").map((action) => action.node).sort()).toEqual(["amber", "teal"]);
    expect(startsOf(actions, "app").map((action) => [action.node, action.blocked ?? false]).sort()).toEqual([["amber", false], ["coral", false], ["teal", false]]);
  });

  it("lists then's starts as blocked, each on its node, while fewer than clone-min instances of first can run", () => {
    const actions = run(cib({ nodes: three, resources: base("2") + app, constraints: order + ban("base-clone", "coral") + ban("base-clone", "teal"), status: {} }));
    expect(startsOf(actions, "base").map((action) => action.node)).toEqual(["amber"]);
    expect(startsOf(actions, "app").map((action) => [action.node, action.blocked]).sort()).toEqual([["amber", true], ["coral", true], ["teal", true]]);
  });

  it("blocks an interleaved instance after a blocked instance on its node, and lists its start", () => {
    const web = clone("web-clone", "web", { interleave: "true" });
    const actions = run(cib({ nodes: three, resources: base("3") + app + web, constraints: order + `<rsc_order id="app-then-web" first="app-clone" then="web-clone"/>` + ban("base-clone", "coral"), status: {} }));
    expect(startsOf(actions, "web").map((action) => [action.node, action.blocked]).sort()).toEqual([["amber", true], ["coral", true], ["teal", true]]);
  });
});

describe("interleaved orders between clones", () => {
  it("leaves an instance with no first instance on its node unassigned: nothing is listed for it", () => {
    const base = clone("base-clone", "base");
    const app = clone("app-clone", "app", { interleave: "true" });
    const actions = run(cib({ nodes: three, resources: base + app, constraints: `<rsc_order id="o" first="base-clone" then="app-clone"/>` + ban("base-clone", "coral"), status: {} }));
    expect(startsOf(actions, "app").map((action) => [action.node, action.blocked ?? false]).sort()).toEqual([["amber", false], ["teal", false]]);
    expect(actions.filter((action) => action.node === "coral")).toEqual([]);
  });

  it("with clone-min met, a first instance leaving a node restarts nothing of then there", () => {
    const base = clone("base-clone", "base", { "clone-min": "2" });
    const app = clone("app-clone", "app", { interleave: "true" });
    const running = (rsc: string) => ({ [rsc]: [{ operation: "start", rc: 0, call: 3 }] });
    const status = Object.fromEntries(three.map((node) => [node, { ...running("base"), ...running("app") }]));
    const actions = run(cib({ nodes: three, resources: base + app, constraints: `<rsc_order id="o" first="base-clone" then="app-clone"/>` + ban("base-clone", "coral"), status }));
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ action: "stop", node: "coral" });
    expect(String(actions[0]!.resource)).toMatch(/^base:/);
  });
});

describe("anonymous clone instance numbering from history", () => {
  const agent = (extra: Record<string, string> = {}) => `<clone id="agent-clone">${meta("agent-clone-m", extra)}<primitive id="agent" class="ocf" provider="heartbeat" type="Dummy">${meta("agent-m", {})}</primitive></clone>`;
  const started = (call: number): Op[] => [{ operation: "start", rc: 0, call }];

  it("gives a second active history of one member on the same node an orphan instance after clone-max, which stops", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: agent({ "clone-max": "2" }), status: { amber: { "agent:0": started(3), "agent:1": started(4) } } }));
    expect(sameActions(actions, [{ action: "stop", resource: "agent:2", node: "amber" }, { action: "start", resource: "agent:1", node: "teal" }])).toBe(true);
  });

  it("numbers histories node by node in status order, each node's entries in order", () => {
    // coral's entry comes first in the status section, so it holds instance 0 and amber's is instance 1.
    const input = cib({ nodes: ["amber", "teal", "coral"], resources: agent({ "clone-max": "2" }), constraints: ban("agent-clone", "amber"), status: { amber: { agent: started(3) }, coral: { agent: started(5) } } });
    input.status.reverse();
    const leaving = run(input).filter((action) => action.node === "amber" || action.from === "amber");
    expect(leaving.map((action) => action.resource)).toEqual(["agent:1"]);
  });

  it("does not spend an instance number on a lost node when the resource needs only quorum and the clone runs on fewer nodes than there are", () => {
    const quorumOnly = `<clone id="agent-clone">${meta("agent-clone-m", { "clone-max": "2" })}<primitive id="agent" class="ocf" provider="heartbeat" type="Dummy">${meta("agent-m", { requires: "quorum" })}</primitive></clone>`;
    const actions = run(cib({ nodes: ["amber", "teal", "coral"], lost: ["amber"], properties: { "stonith-enabled": "true" }, resources: quorumOnly, status: { amber: { agent: started(3) }, teal: { agent: started(4) } } }));
    expect(sameActions(actions, [
      { action: "fence", node: "amber", kind: "reboot" },
      { action: "stop", resource: "agent:2", node: "amber" },
      { action: "start", resource: "agent:1", node: "coral" },
    ])).toBe(true);
  });

  it("keeps the instance number of a lost node's history when the resource needs fencing", () => {
    const actions = run(cib({ nodes: ["amber", "teal", "coral"], lost: ["amber"], properties: { "stonith-enabled": "true" }, resources: agent({ "clone-max": "2" }), status: { amber: { agent: started(3) }, teal: { agent: started(4) } } }));
    expect(sameActions(actions, [
      { action: "fence", node: "amber", kind: "reboot" },
      { action: "move", resource: "agent:0", from: "amber", to: "coral" },
    ])).toBe(true);
  });
});

describe("failed starts", () => {
  const web = `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`;
  const prefer = `<rsc_location id="prefer" rsc="web" node="amber" score="100"/>`;
  const failedStart: Op[] = [{ operation: "start", rc: 1, call: 3 }];

  it("moves the resource away when the start's fail count is INFINITY", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: web, constraints: prefer, status: { amber: { web: failedStart } }, attrs: { amber: { "fail-count-web#start_0": "INFINITY" } } }));
    expect(sameActions(actions, [{ action: "recover", resource: "web", from: "amber", to: "teal" }])).toBe(true);
  });

  it("recovers in place when no fail count was recorded", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: web, constraints: prefer, status: { amber: { web: failedStart } } }));
    expect(sameActions(actions, [{ action: "recover", resource: "web", node: "amber" }])).toBe(true);
  });
});

describe("restarts implied by orders after a clone", () => {
  const running = (...resources: string[]) => Object.fromEntries(resources.map((rsc) => [rsc, [{ operation: "start", rc: 0, call: 3 }] as Op[]]));
  const site = `<primitive id="site" class="ocf" provider="heartbeat" type="Dummy"/>`;

  it("restarts a primitive ordered after a clone when an instance of the clone starts on its node", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: clone("base-clone", "base") + site, constraints: `<rsc_order id="o" first="base-clone" then="site"/>`, status: { amber: running("base"), teal: running("site") } }));
    expect(sameActions(actions, [{ action: "start", resource: "base:1", node: "teal" }, { action: "restart", resource: "site", node: "teal" }])).toBe(true);
  });

  it("an instance starting on another node restarts nothing there", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: clone("base-clone", "base") + site, constraints: `<rsc_order id="o" first="base-clone" then="site"/>`, status: { amber: running("base", "site") } }));
    expect(sameActions(actions, [{ action: "start", resource: "base:1", node: "teal" }])).toBe(true);
  });

  it("does not restart it for an order on the clone's promote when an instance only starts", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db") + site, constraints: `<rsc_order id="o" first="db-clone" first-action="promote" then="site"/><rsc_colocation id="c" rsc="site" with-rsc="db-clone" with-rsc-role="Promoted" score="INFINITY"/>`,
      status: { amber: { db: [{ operation: "promote", rc: 0, call: 4 }], ...running("site") } }, attrs: { amber: { "master-db": "10" } } }));
    expect(sameActions(actions, [{ action: "start", resource: "db:1", node: "teal" }])).toBe(true);
  });

  // Pacemaker 2.1.5 restarts them all (its clone-wide "running" of first is required): checked
  // with crm_simulate on the same cluster written with complete history records
  // (clone-order-restarts.test.ts has the interleaved case).
  it("restarts every instance of another clone ordered after it, without interleave", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: clone("base-clone", "base") + clone("app-clone", "app"), constraints: `<rsc_order id="o" first="base-clone" then="app-clone"/>`, status: { amber: running("base", "app"), teal: running("app") } }));
    expect(sameActions(actions, [{ action: "start", resource: "base:1", node: "teal" }, { action: "restart", resource: "app:0", node: "amber" }, { action: "restart", resource: "app:1", node: "teal" }]), JSON.stringify(actions)).toBe(true);
  });
});

describe("operation history order", () => {
  const web = `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`;
  // transition-magic: "status:rc;action:transition:expected-rc:controller-run".
  const pendingStart = (transition: number): Op => ({ operation: "start", rc: -1, call: -1, status: -1, magic: `-1:-1;3:${transition}:0:run-a` });
  const stop: Op = { operation: "stop", rc: 0, call: 8, magic: "0:0;4:5:0:run-a" };

  it("places a pending start from an earlier transition of the same run before a completed stop: the resource is stopped", () => {
    const actions = run(cib({ nodes: ["amber"], resources: web, status: { amber: { web: [pendingStart(4), stop] } } }));
    expect(sameActions(actions, [{ action: "start", resource: "web", node: "amber" }])).toBe(true);
  });

  it("places a pending start from a later transition after the stop: the resource is starting there", () => {
    const actions = run(cib({ nodes: ["amber"], resources: web, status: { amber: { web: [stop, pendingStart(6)] } } }));
    expect(actions).toEqual([]);
  });

  it("places a pending operation last when its transition belongs to another controller run", () => {
    const otherRun: Op = { ...pendingStart(4), magic: "-1:-1;3:4:0:run-b" };
    const actions = run(cib({ nodes: ["amber"], resources: web, status: { amber: { web: [otherRun, stop] } } }));
    expect(actions).toEqual([]);
  });
});

describe("promotion steered by resources colocated with the Promoted role", () => {
  const app = `<primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>`;
  const withPromoted = `<rsc_colocation id="app-with-promoted" rsc="app" with-rsc="db-clone" with-rsc-role="Promoted" score="INFINITY"/>`;
  const scores = { amber: { "master-db": "10" }, teal: { "master-db": "10" } };
  const history = { amber: { db: [{ operation: "promote", rc: 0, call: 4 }] }, teal: { db: [{ operation: "start", rc: 0, call: 4 }] } };

  it("moves the Promoted role away from a node where the colocated resource may not run", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db") + app, constraints: withPromoted + ban("app", "amber"), status: history, attrs: scores }));
    expect(sameActions(actions, [
      { action: "demote", resource: "db:0", node: "amber", from_role: "Promoted", to_role: "Unpromoted" },
      { action: "promote", resource: "db:1", node: "teal", from_role: "Unpromoted", to_role: "Promoted" },
      { action: "start", resource: "app", node: "teal" },
    ])).toBe(true);
  });

  it("still promotes where the colocated resource may not run when no other node can be promoted", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db") + app, constraints: withPromoted + ban("app", "amber") + ban("db-clone", "teal"), status: { amber: history.amber }, attrs: scores }));
    expect(actions.filter((action) => action.resource === "db:0")).toEqual([]);
    expect(actions.some((action) => action.resource === "app" && action.action === "start" && action.blocked !== true)).toBe(false);
  });
});

describe("colocation with the Unpromoted role", () => {
  const reader = `<primitive id="reader" class="ocf" provider="heartbeat" type="Dummy"/>`;
  const scores = { amber: { "master-db": "20" }, teal: { "master-db": "5" } };

  it("places the dependent where an instance stays Unpromoted", () => {
    const colocation = `<rsc_colocation id="r" rsc="reader" with-rsc="db-clone" with-rsc-role="Unpromoted" score="1000"/>`;
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db") + reader, constraints: colocation, status: {}, attrs: scores }));
    expect(actions).toContainEqual(expect.objectContaining({ action: "start", resource: "reader", node: "teal" }));
  });

  it("outweighs a smaller preference for the Promoted role's node", () => {
    const colocations = `<rsc_colocation id="r1" rsc="reader" with-rsc="db-clone" with-rsc-role="Unpromoted" score="1000"/><rsc_colocation id="r2" rsc="reader" with-rsc="db-clone" with-rsc-role="Promoted" score="101"/>`;
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db") + reader, constraints: colocations, status: { amber: { reader: [{ operation: "start", rc: 0, call: 3 }] } }, attrs: scores }));
    expect(actions).toContainEqual(expect.objectContaining({ action: "move", resource: "reader", from: "amber", to: "teal" }));
  });

  it("keeps a dependent that must run with the Unpromoted role stopped when every instance is promoted", () => {
    const colocation = `<rsc_colocation id="r" rsc="reader" with-rsc="db-clone" with-rsc-role="Unpromoted" score="INFINITY"/>`;
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db", { "clone-max": "1" }) + reader, constraints: colocation, status: {}, attrs: scores }));
    expect(actions.filter((action) => action.resource === "reader")).toEqual([]);
  });
});

describe("promotion without quorum under no-quorum-policy=freeze", () => {
  const history = { amber: { db: [{ operation: "start", rc: 0, call: 3 }] }, teal: { db: [{ operation: "promote", rc: 0, call: 4 }] } };
  const frozen = { "stonith-enabled": "true", "no-quorum-policy": "freeze" };

  it("promotes no instance that is not Promoted already, and the lost node's Promoted instance cannot be stopped", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], lost: ["teal"], quorum: false, properties: frozen, resources: promotable("db-clone", "db"), status: history, attrs: { amber: { "master-db": "50" } } }));
    expect(actions.filter((action) => action.action === "promote")).toEqual([]);
    const stops = actions.filter((action) => action.node === "teal");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ action: "stop", role: "Promoted", blocked: true });
  });

  it("promotes as usual with quorum", () => {
    const actions = run(cib({ nodes: ["amber", "teal"], lost: ["teal"], properties: frozen, resources: promotable("db-clone", "db"), status: history, attrs: { amber: { "master-db": "50" } } }));
    expect(actions).toContainEqual(expect.objectContaining({ action: "promote", node: "amber", to_role: "Promoted" }));
  });
});

describe("promotable instances: assignment order and placement by promotion score", () => {
  it("assigns first the instance whose promotion score counts higher: an instance with no history outranks one probed only elsewhere", () => {
    // db:0 runs on amber (score 10 there); the probes on teal and coral went to db:1, so amber's score
    // does not count for db:1, while db:2 (no history anywhere) counts it and is assigned first.
    const probe: Op[] = [{ operation: "monitor", rc: 7, call: 1 }];
    const actions = run(cib({ nodes: ["amber", "teal", "coral"], resources: promotable("db-clone", "db", { "promoted-max": "0" }),
      status: { amber: { db: [{ operation: "start", rc: 0, call: 3 }] }, teal: { db: probe }, coral: { db: probe } }, attrs: { amber: { "master-db": "10" } } }));
    expect(sameActions(actions, [{ action: "start", resource: "db:2", node: "coral" }, { action: "start", resource: "db:1", node: "teal" }])).toBe(true);
  });

  it("places each instance of a unique clone toward the node where its own promotion score is highest", () => {
    const scores = { amber: { "master-db:0": "10", "master-db:1": "100" }, teal: { "master-db:0": "30", "master-db:1": "300" } };
    const actions = run(cib({ nodes: ["amber", "teal"], resources: promotable("db-clone", "db", { "globally-unique": "true" }), status: {}, attrs: scores }));
    expect(sameActions(actions, [
      { action: "promote", resource: "db:1", node: "teal", from_role: "Stopped", to_role: "Promoted" },
      { action: "start", resource: "db:0", node: "amber" },
    ])).toBe(true);
  });
});
