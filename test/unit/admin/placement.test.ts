import { describe, expect, it } from "vitest";
import type { Cib } from "../../../src/cib";
import { applyEdit } from "../../../src/admin";
import { dummy, edits, failure, twoNodeCib } from "./fixture";

const withVip = (): Cib => edits(twoNodeCib(), [dummy("vip")]).cib;

describe("move, ban, clear", () => {
  it("move adds cli-prefer-NAME at INFINITY on the node and lifts a ban from that node", () => {
    const banned = edits(withVip(), [{ kind: "resource-ban", id: "vip", node: "node2" }]).cib;
    const result = applyEdit(banned, { kind: "resource-move", id: "vip", node: "node2" });
    expect(result.cib.constraints).toEqual([{ kind: "location", id: "cli-prefer-vip", rsc: "vip", node: "node2", score: "INFINITY", role: "Started", rules: [], extra: {} }]);
    expect(result.warnings.join("\n")).toContain("lifted the ban 'cli-ban-vip-on-node2'");
  });

  it("move to a node the CIB does not know warns and names the near node", () => {
    const result = applyEdit(withVip(), { kind: "resource-move", id: "vip", node: "nod2" });
    expect(result.warnings.join("\n")).toMatch(/location 'cli-prefer-vip' names node 'nod2', which is not in the CIB \(did you mean 'node2'/);
  });

  it("ban adds cli-ban-NAME-on-NODE at -INFINITY, and banning from every node says it can run nowhere", () => {
    const first = applyEdit(withVip(), { kind: "resource-ban", id: "vip", node: "node1" });
    expect(first.cib.constraints).toMatchObject([{ id: "cli-ban-vip-on-node1", node: "node1", score: "-INFINITY" }]);
    expect(first.warnings).toEqual([]);
    const second = applyEdit(first.cib, { kind: "resource-ban", id: "vip", node: "node2" });
    expect(second.warnings).toEqual([expect.stringMatching(/resource 'vip' can run on no node: excluded from node1 \(cli-ban-vip-on-node1\), node2 \(cli-ban-vip-on-node2\)/)]);
  });

  it("ban without a node bans the resource from where the status shows it running", () => {
    const cib = withVip();
    cib.status = [{
      id: "2", uname: "node2", attributes: {}, transient: [],
      resources: [{ id: "vip", class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, operations: [
        { id: "vip_start_0", operation: "start", callId: 4, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: {} },
        { id: "vip_monitor_10000", operation: "monitor", callId: 5, rcCode: 0, opStatus: 0, intervalMs: 10000, attributes: {} },
      ] }],
    }];
    expect(applyEdit(cib, { kind: "resource-ban", id: "vip" }).cib.constraints).toMatchObject([{ id: "cli-ban-vip-on-node2" }]);
    expect(failure(() => applyEdit(withVip(), { kind: "resource-ban", id: "vip" }))).toMatchObject({ code: "E_ADMIN_ARGUMENT", message: expect.stringContaining("not known to run") });
  });

  it("clear removes only the cli-* constraints of the resource (of one node when named)", () => {
    const cib = edits(withVip(), [
      dummy("web"),
      { kind: "resource-move", id: "vip", node: "node1" },
      { kind: "resource-ban", id: "web", node: "node1" },
      { kind: "location-prefers", rsc: "vip", avoids: false, nodes: [{ node: "node2", score: "50" }] },
    ]).cib;
    const cleared = applyEdit(cib, { kind: "resource-clear", id: "vip" });
    expect(cleared.cib.constraints.map((constraint) => constraint.id)).toEqual(["cli-ban-web-on-node1", "location-vip-node2-50"]);
    expect(applyEdit(cib, { kind: "resource-clear", id: "web", node: "node2" }).changed).toBe(false);
  });

  it("refuses to move a clone", () => {
    const cib = edits(withVip(), [{ kind: "clone", id: "vip", meta: {}, promotable: false }]).cib;
    expect(failure(() => applyEdit(cib, { kind: "resource-move", id: "vip-clone", node: "node1" }))).toMatchObject({ code: "E_ADMIN_CLONE" });
  });
});
