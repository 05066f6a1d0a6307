import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { definitionChange, parameterDigest } from "../../../src/scheduler/digest";
import { sameActions } from "../../conformance/scheduler-compare";

// A web server "www" (port, docroot) running on "alpha". Its start record carries the digest
// of the parameters it was started with; the configuration may since have changed.
interface Setup { configured: Record<string, string>; startedWith: Record<string, string>; forceRestart?: string[]; startOpParams?: Record<string, string>; pending?: boolean }

function cibXml(setup: Setup): string {
  const pairs = (prefix: string, values: Record<string, string>) => Object.entries(values).map(([name, value], index) => `<nvpair id="${prefix}-${index}" name="${name}" value="${value}"/>`).join("");
  const startOp = setup.startOpParams ? `<operations><op id="www-start" name="start" interval="0"><instance_attributes id="www-start-ia">${pairs("sp", setup.startOpParams)}</instance_attributes></op></operations>` : "";
  const restartDigest = setup.forceRestart === undefined ? "" :
    ` op-force-restart=" ${setup.forceRestart.join(" ")} " op-restart-digest="${parameterDigest(Object.fromEntries(Object.entries(setup.startedWith).filter(([name]) => setup.forceRestart!.includes(name))))}"`;
  const status = setup.pending ? `op-status="-1" rc-code="-1" call-id="-1"` : `op-status="0" rc-code="0" call-id="4"`;
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="alpha"/><node id="2" uname="beta"/></nodes>
  <resources><primitive id="www" class="ocf" provider="heartbeat" type="nginx"><instance_attributes id="www-ia">${pairs("p", setup.configured)}</instance_attributes>${startOp}</primitive>
  <primitive id="cache" class="ocf" provider="heartbeat" type="Dummy"/></resources>
  <constraints><rsc_order id="www-then-cache" first="www" then="cache"/><rsc_colocation id="cache-with-www" rsc="cache" with-rsc="www" score="INFINITY"/></constraints>
  <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="50"/></meta_attributes></rsc_defaults></configuration>
  <status><node_state id="1" uname="alpha" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources>
    <lrm_resource id="www" class="ocf" provider="heartbeat" type="nginx"><lrm_rsc_op id="www_last_0" operation="start" interval="0" ${status} op-digest="${parameterDigest(setup.startedWith)}"${restartDigest}/></lrm_resource>
    <lrm_resource id="cache" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="cache_last_0" operation="start" interval="0" op-status="0" rc-code="0" call-id="5" op-digest="${parameterDigest({})}"/></lrm_resource>
  </lrm_resources></lrm></node_state>
  <node_state id="2" uname="beta" in_ccm="true" crmd="online" join="member" expected="member"/></status></cib>`;
}

function plan(setup: Setup) {
  return schedule(importCibXml(cibXml(setup), "www").cib, { now: 0 }).actions as never as Record<string, unknown>[];
}

describe("parameter digests", () => {
  it("are the MD5 of the sorted parameter element", () => {
    // Order of the parameters does not matter; any value change does.
    expect(parameterDigest({ port: "80", docroot: "/srv" })).toBe(parameterDigest({ docroot: "/srv", port: "80" }));
    expect(parameterDigest({ port: "80" })).not.toBe(parameterDigest({ port: "81" }));
    expect(parameterDigest({})).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a value of #default leaves the parameter out", () => {
    const { cib } = importCibXml(cibXml({ configured: { port: "80", docroot: "#default" }, startedWith: { port: "80" } }), "x");
    const www = cib.resources[0]!;
    if (www.kind !== "primitive") throw new Error("expected a primitive");
    const history = cib.status[0]!.resources[0]!.operations;
    expect(definitionChange(www, [], history, { now: 0, node: {} })).toBe("none");
  });
});

describe("a resource whose configuration changed since it started", () => {
  it("unchanged parameters: nothing to do", () => {
    expect(plan({ configured: { port: "80", docroot: "/srv" }, startedWith: { port: "80", docroot: "/srv" } })).toEqual([]);
  });

  it("changed parameters: restarted where it runs, and what is ordered after it too", () => {
    expect(sameActions(plan({ configured: { port: "8080", docroot: "/srv" }, startedWith: { port: "80", docroot: "/srv" } }), [
      { action: "restart", resource: "www", node: "alpha" },
      { action: "restart", resource: "cache", node: "alpha" },
    ])).toBe(true);
  });

  it("a changed parameter the agent must restart for: restart even though it can reload others", () => {
    expect(plan({ configured: { port: "8080", docroot: "/srv" }, startedWith: { port: "80", docroot: "/srv" }, forceRestart: ["port"] })
      .some((action) => action.action === "restart" && action.resource === "www")).toBe(true);
  });

  it("only reloadable parameters changed: no restart (the agent reloads)", () => {
    const { cib } = importCibXml(cibXml({ configured: { port: "80", docroot: "/var/www" }, startedWith: { port: "80", docroot: "/srv" }, forceRestart: ["port"] }), "x");
    const www = cib.resources[0]!;
    if (www.kind !== "primitive") throw new Error("expected a primitive");
    expect(definitionChange(www, [], cib.status[0]!.resources[0]!.operations, { now: 0, node: {} })).toBe("reload");
    expect(plan({ configured: { port: "80", docroot: "/var/www" }, startedWith: { port: "80", docroot: "/srv" }, forceRestart: ["port"] })
      .some((action) => action.action === "restart")).toBe(false);
  });

  it("a reloadable change while the start is still pending: restart", () => {
    const { cib } = importCibXml(cibXml({ configured: { port: "80", docroot: "/var/www" }, startedWith: { port: "80", docroot: "/srv" }, forceRestart: ["port"], pending: true }), "x");
    const www = cib.resources[0]!;
    if (www.kind !== "primitive") throw new Error("expected a primitive");
    expect(definitionChange(www, [], cib.status[0]!.resources[0]!.operations, { now: 0, node: {} })).toBe("restart");
  });

  it("parameters added on the start operation itself: restart", () => {
    expect(plan({ configured: { port: "80" }, startedWith: { port: "80" }, startOpParams: { verbose: "1" } })
      .some((action) => action.action === "restart" && action.resource === "www")).toBe(true);
  });
});

// Pacemaker's calculate_main_digest (pe_digest.c) digests a record's parameters with the extra
// parameters of the action the record stands for: a promote's with the promote operation's own
// instance attributes, a probe's with those of a configured monitor of interval 0 (none here),
// never another operation's.
describe("each record is checked against its own operation's parameters", () => {
  const op = (name: string, values: Record<string, string>) => ({ id: `db-${name}`, name, interval: "0", intervalMs: 0, extra: {}, meta: [], instance: Object.keys(values).length > 0 ? [{ id: `db-${name}-ia`, values }] : [] });
  const db = { kind: "primitive" as const, id: "db", class: "ocf", provider: "heartbeat", type: "pgsql", extra: {}, meta: [], instance: [{ id: "db-ia", values: { pgdata: "/srv/pg" } }],
    operations: [op("start", { warmup: "1" }), op("promote", { mode: "fast" })] };
  const record = (operation: string, callId: number, parameters: Record<string, string>) => ({ id: `db_${callId}`, operation, callId, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { "op-digest": parameterDigest(parameters) } });
  const context = { now: 0, node: {} };

  it("a promote recorded with the promote operation's own parameters: unchanged", () => {
    const history = [record("start", 4, { pgdata: "/srv/pg", warmup: "1" }), record("promote", 5, { pgdata: "/srv/pg", mode: "fast" })];
    expect(definitionChange(db, [], history, context)).toBe("none");
    // Its own parameter changed since: a restart.
    expect(definitionChange(db, [], [history[0]!, record("promote", 5, { pgdata: "/srv/pg", mode: "slow" })], context)).toBe("restart");
  });

  it("a probe that found it running is checked without the start operation's own parameters", () => {
    expect(definitionChange(db, [], [record("monitor", 3, { pgdata: "/srv/pg" })], context)).toBe("none");
    expect(definitionChange(db, [], [record("monitor", 3, { pgdata: "/srv/other" })], context)).toBe("restart");
  });
});
