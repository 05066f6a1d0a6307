// Controller messages are checked at the seam: JSON, a known kind, every field of its type
// and within its bounds. What fails is named; nothing throws. Reports are filed under the
// sender the transport authenticated, never under the name a report declares.
import { describe, expect, it } from "vitest";
import { parseControllerMessage, MESSAGE_BYTES_MAX, type NodeReport } from "../../../src/controller";
import { NAME_CHARS_MAX, RESOURCES_MAX } from "../../../src/controller/protocol";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { ControllerWorld } from "./harness";

function bytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function report(node = "n2"): NodeReport {
  return {
    node, probed: true, cibVersion: "0.3.0", busy: false, shutdown: false, attributes: { "fail-count-vip#monitor_1000": "1" },
    resources: { vip: { class: "ocf", provider: "heartbeat", type: "Dummy", operations: [{ id: "vip_last_0", operation: "start", callId: 3, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: {} }] } },
    failures: [{ resource: "vip", operation: "monitor", intervalMs: 1000, rc: 7, reason: "not running" }],
  };
}

describe("parseControllerMessage", () => {
  it("accepts every kind of message with its fields, and drops fields it does not know", () => {
    const valid = [
      { t: "join", ringId: 4, since: 2 },
      { t: "join-ack", ringId: 4, cib: { version: {} }, report: report() },
      { t: "cib", ringId: 4, writeId: 9, cib: {} },
      { t: "cib-ack", ringId: 4, writeId: 9 },
      { t: "report", ringId: 4, report: report() },
      { t: "op", ringId: 4, transition: 2, step: 0, resource: "web:1", operation: "notify", notify: { notify_type: "pre" } },
      { t: "op", ringId: 4, transition: 2, step: 1, resource: "web:1", operation: "start", params: { ip: "192.0.2.7", cidr_netmask: "24" } },
      { t: "op-result", ringId: 4, transition: 2, step: 0, ok: false, reason: "rc 1", report: report() },
      { t: "cleanup", ringId: 4 },
      { t: "cleanup", ringId: 4, resource: "web", operation: "monitor", intervalMs: 10000 },
      { t: "request", requestId: 3, request: { kind: "cleanup", resource: "web", node: "n2", operation: "monitor", intervalMs: 10000 } },
      { t: "request", requestId: 1, request: { kind: "cib-replace", base: "0.3.0", cib: {} } },
      { t: "request", requestId: 2, request: { kind: "placement", resources: ["web"] } },
      { t: "reply", requestId: 1, reply: { ok: false, code: "E_CIB_CONFLICT", error: "changed meanwhile" } },
      { t: "reply", requestId: 2, reply: { ok: true, relocations: [{ resource: "web", from: ["n1"], to: "n2" }] } },
      { t: "summary", ringId: 4, summary: { dc: "n1", ringId: 4, cibVersion: "0.3.0", quorate: true, nodes: [{ name: "n1", state: "online" }], resources: [], failedActions: [], fencing: [], transition: null, leaving: [] } },
    ];
    for (const message of valid) expect(parseControllerMessage(bytes(message)), JSON.stringify(message)).toEqual({ ok: true, message });
    expect(parseControllerMessage(bytes({ t: "join", ringId: 4, since: 2, extra: "x".repeat(100) }))).toEqual({ ok: true, message: { t: "join", ringId: 4, since: 2 } });
  });

  const refused: Array<[string, unknown, string]> = [
    ["an unknown kind", { t: "promote-everything" }, "message.t: unknown kind"],
    ["a missing field", { t: "cib-ack", ringId: 4 }, "cib-ack.writeId: not an integer"],
    ["a negative ring id", { t: "join", ringId: -1, since: 0 }, "join.ringId: out of range"],
    ["a fractional number", { t: "join", ringId: 1.5, since: 0 }, "join.ringId: not an integer"],
    ["a string where a number goes", { t: "join", ringId: "4", since: 0 }, "join.ringId: not an integer"],
    ["an unknown operation", { t: "op", ringId: 1, transition: 1, step: 0, resource: "vip", operation: "reboot-host" }, "op.operation: not one of"],
    ["a parameter that is not text", { t: "op", ringId: 1, transition: 1, step: 0, resource: "vip", operation: "start", params: { ip: 7 } }, "op.params.ip: not a string"],
    ["an overlong resource id", { t: "op", ringId: 1, transition: 1, step: 0, resource: "x".repeat(NAME_CHARS_MAX + 1), operation: "stop" }, `op.resource: longer than ${NAME_CHARS_MAX}`],
    ["a report that is not an object", { t: "report", ringId: 1, report: [] }, "report.report: not an object"],
    ["a report with too many resources", { t: "report", ringId: 1, report: { ...report(), resources: Object.fromEntries(Array.from({ length: RESOURCES_MAX + 1 }, (_, index) => [`r${index}`, { class: "ocf", type: "Dummy", operations: [] }])) } }, `report.report.resources: more than ${RESOURCES_MAX}`],
    ["an operation record with a text call id", { t: "report", ringId: 1, report: { ...report(), resources: { vip: { class: "ocf", type: "Dummy", operations: [{ id: "a", operation: "start", callId: "1", rcCode: 0, opStatus: 0, intervalMs: 0, attributes: {} }] } } } }, "report.report.resources.vip.operations[0].callId"],
    ["a request of an unknown kind", { t: "request", requestId: 1, request: { kind: "format-disks" } }, "request.request.kind: not one of"],
    ["a reply without its code", { t: "reply", requestId: 1, reply: { ok: false, error: "x" } }, "reply.reply.code: not a string"],
    ["a summary node in an unknown state", { t: "summary", ringId: 1, summary: { dc: "n1", ringId: 1, cibVersion: "0", quorate: true, nodes: [{ name: "n1", state: "happy" }], resources: [], failedActions: [], fencing: [], transition: null, leaving: [] } }, "summary.summary.nodes[0].state"],
  ];
  for (const [what, message, problem] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      const parsed = parseControllerMessage(bytes(message));
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? "" : parsed.problem).toContain(problem);
    });
  }

  it("refuses what is not JSON, not an object, or larger than the bound, without reading it", () => {
    expect(parseControllerMessage(Buffer.from("{\"t\":"))).toEqual({ ok: false, problem: "not JSON" });
    expect(parseControllerMessage(bytes(["join"]))).toMatchObject({ ok: false, problem: "message: not an object" });
    expect(parseControllerMessage(bytes(null))).toMatchObject({ ok: false });
    expect(parseControllerMessage(Buffer.alloc(MESSAGE_BYTES_MAX + 1, 0x20))).toMatchObject({ ok: false, problem: expect.stringContaining("exceeds") });
  });
});

function primitive(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

function trioCib(): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }];
  cib.resources = [primitive("vip")];
  return cib;
}

describe("reports are filed under the authenticated sender", () => {
  it("a member's report naming another node changes only the sender's entry at the DC", () => {
    const world = new ControllerWorld(["n1", "n2", "n3"], trioCib());
    world.view(1, ["n1", "n2", "n3"]);
    world.run(2000);
    const dc = world.node("n1");
    expect(dc.controller.isDc).toBe(true);
    const before = JSON.stringify(dc.controller.statusCib()!.status.find((node) => node.uname === "n3"));
    // n2 sends a report that claims to be n3's, with a failure in it.
    const forged = { ...report("n3"), cibVersion: "0.4.0" };
    world.feed(dc, { kind: "message", nowMs: world.nowMs, from: 2, message: { t: "report", ringId: 1, report: forged } });
    const status = dc.controller.statusCib()!.status;
    expect(JSON.stringify(status.find((node) => node.uname === "n3"))).toBe(before);
    expect(status.find((node) => node.uname === "n2")?.transient[0]?.values).toMatchObject({ "fail-count-vip#monitor_1000": "1" });
    expect(dc.controller.summary?.failedActions).toEqual([{ node: "n2", resource: "vip", operation: "monitor", intervalMs: 1000, rc: 7, reason: "not running" }]);
  });
});
