import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule, unpackNodes } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";

// A fenced cluster whose first node "hub" is healthy; every other node has one membership
// entry under test. "guard" is the fencing device, "web" an ordinary resource.
function cluster(entries: Record<string, string>, options: { quorum?: boolean; policy?: string; webMeta?: string; webSeenOn?: string[] } = {}): string {
  const names = ["hub", ...Object.keys(entries)];
  const probed = (name: string) => (options.webSeenOn ?? []).includes(name)
    ? `<lrm id="${name}"><lrm_resources><lrm_resource id="web" class="ocf" provider="acme" type="web"><lrm_rsc_op id="web-p-${name}" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0"/></lrm_resource></lrm_resources></lrm>` : "";
  const guardRunning = `<lrm id="hub"><lrm_resources><lrm_resource id="guard" class="stonith" type="fence_acme"><lrm_rsc_op id="g1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource>${
    (options.webSeenOn ?? []).includes("hub") ? `<lrm_resource id="web" class="ocf" provider="acme" type="web"><lrm_rsc_op id="web-p-hub" operation="monitor" call-id="2" rc-code="7" op-status="0" interval="0"/></lrm_resource>` : ""}</lrm_resources></lrm>`;
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="${options.quorum === false ? 0 : 1}"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="true"/>${options.policy ? `<nvpair id="o2" name="no-quorum-policy" value="${options.policy}"/>` : ""}</cluster_property_set></crm_config>
  <nodes>${names.map((name, index) => `<node id="${index + 1}" uname="${name}"/>`).join("")}</nodes>
  <resources><primitive id="guard" class="stonith" type="fence_acme"/><primitive id="web" class="ocf" provider="acme" type="web">${options.webMeta ?? ""}</primitive></resources>
  <constraints><rsc_location id="web-hub" rsc="web" node="hub" score="100"/></constraints></configuration>
  <status><node_state id="1" uname="hub" in_ccm="true" crmd="online" join="member" expected="member">${guardRunning}</node_state>
  ${Object.entries(entries).map(([name, attributes], index) => `<node_state id="${index + 2}" uname="${name}" ${attributes}>${probed(name)}</node_state>`).join("\n  ")}</status></cib>`;
}

const plan = (xml: string) => schedule(importCibXml(xml, "membership").cib, { now: 0 }).actions;
const fenced = (xml: string) => plan(xml).filter((action) => action.action === "fence").map((action) => action.node).sort();

describe("reading membership entries when fencing is enabled", () => {
  it("fences the nodes whose entry shows they cannot be trusted, and only those", () => {
    const xml = cluster({
      unseen: `crmd="offline" join="down"`, // no word on cluster membership: never seen
      refused: `in_ccm="true" crmd="online" join="banned"`, // the join refused it
      gone: `in_ccm="true" crmd="offline" join="member" expected="member"`, // its controller went away
      lost: `in_ccm="false" crmd="offline" join="down" expected="member"`, // left the membership while expected up
      resting: `in_ccm="false" crmd="offline" join="down" expected="down"`, // cleanly down
      joining: `in_ccm="true" crmd="online" join="pending" expected="member"`, // still joining
      idle: `in_ccm="true" crmd="offline" join="down"`, // in the membership, controller not up, not expected
    });
    expect(fenced(xml)).toEqual(["gone", "lost", "refused", "unseen"]);
  });

  it("a node asked to shut down is not fenced for having left", () => {
    const xml = cluster({ leaving: `in_ccm="false" crmd="offline" join="down" expected="member" shutdown="1700000000"` });
    expect(fenced(xml)).toEqual([]);
  });

  it("a node asked to terminate is fenced while it is still there, and is clean once gone", () => {
    const terminate = (attributes: string) => cluster({ doomed: attributes }).replace(`uname="doomed" ${attributes}>`,
      `uname="doomed" ${attributes}><transient_attributes id="t"><instance_attributes id="ti"><nvpair id="tn" name="terminate" value="true"/></instance_attributes></transient_attributes>`);
    expect(fenced(terminate(`in_ccm="true" crmd="online" join="member" expected="member"`))).toEqual(["doomed"]);
    expect(fenced(terminate(`in_ccm="false" crmd="offline" join="down" expected="member"`))).toEqual([]);
  });

  it("pending nodes are marked pending and run nothing", () => {
    const nodes = unpackNodes(importCibXml(cluster({ joining: `in_ccm="true" crmd="online" join="pending" expected="member"` }), "m").cib);
    const joining = nodes.find((node) => node.name === "joining")!;
    expect(joining.pending).toBe(true);
    expect(joining.online).toBe(false);
    expect(joining.unclean).toBe(false);
  });
});

describe("a node that cannot be probed yet", () => {
  const joining = { joining: `in_ccm="true" crmd="online" join="pending" expected="member"` };

  it("a resource running nowhere and never seen on a pending node may not start", () => {
    expect(sameActions(plan(cluster(joining)) as never, [{ action: "start", resource: "web", node: "hub", blocked: true }])).toBe(true);
  });

  it("once its state there is known (a probe result is recorded) it starts", () => {
    expect(sameActions(plan(cluster(joining, { webSeenOn: ["joining"] })) as never, [{ action: "start", resource: "web", node: "hub" }])).toBe(true);
  });

  it("a node outside the membership is not probed, so it holds nothing up", () => {
    expect(sameActions(plan(cluster({ resting: `in_ccm="false" crmd="offline" join="down" expected="down"` })) as never, [{ action: "start", resource: "web", node: "hub" }])).toBe(true);
  });
});

describe("requires and quorum", () => {
  it("without quorum (policy stop) a start is blocked unless the resource requires nothing", () => {
    const nothing = `<meta_attributes id="wm"><nvpair id="wm1" name="requires" value="nothing"/></meta_attributes>`;
    expect(sameActions(plan(cluster({}, { quorum: false, webSeenOn: ["hub"] })) as never, [
      { action: "start", resource: "web", node: "hub", blocked: true },
      { action: "stop", resource: "guard", node: "hub" },
    ])).toBe(true);
    expect(sameActions(plan(cluster({}, { quorum: false, webMeta: nothing, webSeenOn: ["hub"] })) as never, [
      { action: "start", resource: "web", node: "hub" },
      { action: "stop", resource: "guard", node: "hub" },
    ])).toBe(true);
  });
});

describe("fencing without quorum", () => {
  it("a node still in this partition's membership can be fenced without quorum; a lost one cannot", () => {
    // "sick" is in the membership but its controller is gone; "far" left the membership.
    const xml = cluster({ sick: `in_ccm="true" crmd="offline" join="member" expected="member"`, far: `in_ccm="false" crmd="offline" join="down" expected="member"` }, { quorum: false });
    expect(fenced(xml)).toEqual(["sick"]);
    // With quorum both are fenced.
    expect(fenced(cluster({ sick: `in_ccm="true" crmd="offline" join="member" expected="member"`, far: `in_ccm="false" crmd="offline" join="down" expected="member"` }))).toEqual(["far", "sick"]);
  });

  it("no-quorum-policy=suicide fences the partition's own nodes only once the cluster had quorum (no-quorum-panic)", () => {
    const peers = { mate: `in_ccm="true" crmd="online" join="member" expected="member"` };
    const neverQuorate = cluster(peers, { quorum: false, policy: "suicide", webSeenOn: ["hub", "mate"] });
    // Never had quorum: the policy acts as "stop" and nobody is fenced.
    expect(fenced(neverQuorate)).toEqual([]);
    expect(plan(neverQuorate).some((action) => action.action === "start" && action.resource === "web" && action.blocked === true)).toBe(true);
    const hadQuorum = neverQuorate.replace(`have-quorum="0"`, `have-quorum="0" no-quorum-panic="1"`);
    expect(fenced(hadQuorum)).toEqual(["hub", "mate"]);
  });

  it("suicide needs fencing enabled: without it the policy is stop", () => {
    const xml = cluster({}, { quorum: false, policy: "suicide", webSeenOn: ["hub"] }).replace(`name="stonith-enabled" value="true"`, `name="stonith-enabled" value="false"`).replace(`no-quorum-panic`, "x");
    expect(fenced(xml.replace(`have-quorum="0"`, `have-quorum="0" no-quorum-panic="1"`))).toEqual([]);
  });
});
