// Clone notifications in the scheduler's graph (which the DC runs): who is told, when, and what.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { compileTransition, type Step } from "../../../src/controller";
import { schedule } from "../../../src/scheduler";

function cluster(notify: boolean, activeOn: string[], constraints = "") {
  const lrm = `<lrm_resource id="cache" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="c-go" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource>`;
  const node = (id: string, name: string) => `<node_state id="${id}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources>${activeOn.includes(name) ? lrm : ""}</lrm_resources></lrm></node_state>`;
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="a"/><node id="2" uname="b"/><node id="3" uname="c"/></nodes>
  <resources><clone id="cache-clone"><meta_attributes id="m"><nvpair id="m1" name="notify" value="${notify}"/></meta_attributes>
  <primitive id="cache" class="ocf" provider="heartbeat" type="Dummy"/></clone></resources><constraints>${constraints}</constraints></configuration>
  <status>${node("1", "a")}${node("2", "b")}${node("3", "c")}</status></cib>`;
  return importCibXml(xml, "notify").cib;
}
const run = (parsed: ReturnType<typeof cluster>) => compileTransition(1, schedule(parsed, { now: 0 }));
// Instances run on a and (in the last case) b; c is kept free of them except where a case lets one start there.
const notOnC = `<rsc_location id="no-c" rsc="cache-clone" node="c" score="-INFINITY"/>`;
const notifications = (steps: Step[]) => steps.filter((step) => step.kind === "notify");

describe("clone notifications in a transition", () => {
  it("none without notify=true", () => {
    const transition = run(cluster(false, ["a"], notOnC));
    expect(notifications(transition.steps)).toEqual([]);
  });

  it("pre-start to the running instances, the start after it, post-start to all after the start", () => {
    const transition = run(cluster(true, ["a"], notOnC));
    const start = transition.steps.find((step) => step.kind === "start")!;
    const [pre, ...post] = notifications(transition.steps);
    expect(pre).toMatchObject({ node: "a", notify: { notify_type: "pre", notify_operation: "start", notify_start_uname: "b", notify_start_resource: "cache:1", notify_active_uname: "a" } });
    expect(start.after).toContain(pre!.id);
    expect(post.map((step) => step.node).sort()).toEqual(["a", "b"]);
    for (const step of post) {
      expect(step.after).toContain(start.id);
      expect(step.notify).toMatchObject({ notify_type: "post", notify_operation: "start", notify_active_uname: "a b", notify_available_uname: "a b c", notify_all_uname: "a b c" });
    }
  });

  it("stops before starts: pre-stop, stop, post-stop, then pre-start, start, post-start", () => {
    // a may no longer run an instance and c may: cache:0 moves from a to c.
    const { steps } = run(cluster(true, ["a", "b"], `<rsc_location id="no-a" rsc="cache-clone" node="a" score="-INFINITY"/>`));
    const byReason = (reason: string) => steps.filter((step) => step.kind === "notify" && step.reason === reason);
    const stop = steps.find((step) => step.kind === "stop")!;
    const start = steps.find((step) => step.kind === "start")!;
    expect(byReason("pre-stop notification").map((step) => step.node).sort()).toEqual(["a", "b"]);
    expect(byReason("post-stop notification").map((step) => step.node)).toEqual(["b"]);
    expect(byReason("pre-start notification").map((step) => step.node)).toEqual(["b"]);
    expect(byReason("post-start notification").map((step) => step.node).sort()).toEqual(["b", "c"]);
    for (const pre of byReason("pre-stop notification")) expect(stop.after).toContain(pre.id);
    expect(byReason("post-stop notification")[0]!.after).toContain(stop.id);
    expect(byReason("pre-start notification")[0]!.after).toContain(byReason("post-stop notification")[0]!.id);
    expect(start.after).toContain(byReason("pre-start notification")[0]!.id);
    expect(byReason("post-stop notification")[0]!.notify).toMatchObject({ notify_stop_uname: "a", notify_start_uname: "c", notify_active_uname: "b" });
  });
});
