// `resource failcount reset` on a Pacemaker XML file: the fail-count-* and last-failure-*
// node attributes of the status section go, for a resource (and what it contains), a node,
// an operation. The running cluster's path is in live.test.ts (the CLI's request) and
// test/unit/controller/replication.test.ts and test/unit/node/local-resources.test.ts (what
// the DC and each node do with it).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { cibFiles } from "./fixture";
import { readCibFile } from "../../../src/cib";

const pair = (id: string, name: string, value: string) => `<nvpair id="status-${id}-${name.replace("#", ".")}" name="${name}" value="${value}"/>`;
const START = `<cib admin_epoch="0" epoch="3" num_updates="7" validate-with="pacemaker-3.9"><configuration><crm_config/><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
<resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="1"><instance_attributes id="status-1">
${pair("1", "fail-count-web#monitor_10000", "3")}${pair("1", "fail-count-web#start_0", "INFINITY")}${pair("1", "last-failure-web", "1700000000")}${pair("1", "fail-count-db#monitor_10000", "1")}${pair("1", "last-failure-db", "1700000001")}${pair("1", "pingd", "100")}
</instance_attributes></transient_attributes></node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"><transient_attributes id="2"><instance_attributes id="status-2">
${pair("2", "fail-count-web#monitor_10000", "1")}${pair("2", "last-failure-web", "1700000002")}
</instance_attributes></transient_attributes></node_state>
</status></cib>
`;
const { newFile, run } = cibFiles(START, "edgeha-failcount-reset-");
/** NODE: NAME=VALUE... of the transient attributes, node by node. */
const attributes = (file: string) => readCibFile(file).cib.status.map((state) => `${state.uname}: ${state.transient.flatMap((set) => Object.entries(set.values)).map(([name, value]) => `${name}=${value}`).join(" ")}`);

describe("resource failcount reset -f FILE", () => {
  it("with operation= removes only that operation's count on that node; the last failure stays while another count does", async () => {
    const file = newFile();
    const outcome = await run(file, "resource", "failcount", "reset", "web", "node1", "operation=monitor", "interval=10s");
    expect(outcome).toMatchObject({ status: 0, out: "reset fail counts of web on node1: removed fail-count-web#monitor_10000 (node1)\n" });
    expect(attributes(file)).toEqual([
      "node1: fail-count-web#start_0=INFINITY last-failure-web=1700000000 fail-count-db#monitor_10000=1 last-failure-db=1700000001 pingd=100",
      "node2: fail-count-web#monitor_10000=1 last-failure-web=1700000002",
    ]);
    // A status change: num_updates goes up, the configuration's epoch does not.
    expect(readCibFile(file).cib.version).toEqual({ adminEpoch: 0, epoch: 3, numUpdates: 8 });
  });

  it("for a resource removes its counts and last failures on every node, and leaves the others' alone", async () => {
    const file = newFile();
    const outcome = await run(file, "resource", "failcount", "reset", "web", "--json");
    expect(JSON.parse(outcome.out)).toMatchObject({ ok: true, changed: true, cleared: [
      { node: "node1", name: "fail-count-web#monitor_10000" }, { node: "node1", name: "fail-count-web#start_0" }, { node: "node1", name: "last-failure-web" },
      { node: "node2", name: "fail-count-web#monitor_10000" }, { node: "node2", name: "last-failure-web" },
    ] });
    expect(attributes(file)).toEqual(["node1: fail-count-db#monitor_10000=1 last-failure-db=1700000001 pingd=100", "node2: "]);
    expect((await run(file, "resource", "failcount", "show")).out).toBe("db monitor_10000 on node1: 1\n");
    expect(await run(file, "resource", "failcount", "reset", "web")).toMatchObject({ status: 0, out: "no fail counts of web to reset\n" });
  });

  it("without a resource, on one node: every count of that node", async () => {
    const file = newFile();
    expect((await run(file, "resource", "failcount", "reset", "node=node2")).status).toBe(0);
    expect(attributes(file)[1]).toBe("node2: ");
    expect(attributes(file)[0]).toContain("fail-count-web#monitor_10000=3");
  });

  it("refuses an unknown resource or node, and interval= without operation=, changing nothing", async () => {
    const file = newFile();
    expect(await run(file, "resource", "failcount", "reset", "wbe")).toMatchObject({ status: 1, err: expect.stringMatching(/no resource named 'wbe' \(did you mean .*'web'.*E_ADMIN_UNKNOWN_RESOURCE/) });
    expect(await run(file, "resource", "failcount", "reset", "web", "node3")).toMatchObject({ status: 1, err: expect.stringContaining("no node named 'node3'") });
    expect(await run(file, "resource", "failcount", "reset", "web", "interval=10s")).toMatchObject({ status: 2, err: expect.stringContaining("interval= needs operation=") });
    expect(readFileSync(file, "utf8")).toBe(START);
  });
});
