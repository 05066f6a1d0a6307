// Attribute alerts as Pacemaker's attrd sends them: a fail count and a last failure written on
// a failure, and removed by a cleanup, reach the alert agents with CRM_alert_kind=attribute on
// the node where they change; so does a permanent attribute of this node changed in the
// configuration (`node standby`), though not the first configuration the agent starts with.
import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { emptyCib, importCibXml, type Cib, type Primitive } from "../../../src/cib";
import { createLogger, silentLogger } from "../../../src/common/log";
import { LocalResources, type ActionRunner } from "../../../src/node/local-resources";
import { AlertRunner } from "../../../src/node/alerts";
import { Observability } from "../../../src/node/observability";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

function cibWith(id: string, standby?: string): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: 2, numUpdates: 0 };
  cib.resources = [{ kind: "primitive", id, class: "ocf", provider: "test", type: "T", extra: {}, instance: [], meta: [], operations: [] } satisfies Primitive];
  if (standby !== undefined) cib.nodes = [{ id: "1", uname: "n1", extra: {}, instance: [{ id: "n1-i", values: { standby } }], utilization: [] }];
  cib.alerts = importCibXml(`<cib><configuration><alerts><alert id="a" path="/bin/true"><recipient id="r" value="x"/></alert></alerts></configuration></cib>`).cib.alerts;
  return cib;
}

async function settle(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("not settled");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("attribute alerts", () => {
  it("a failure's fail count and last failure, and their removal by a cleanup, are attribute events", async () => {
    const changes: Array<[string, string | undefined]> = [];
    const runner: ActionRunner = async (_primitive, action) => ({ rc: action === "start" ? 1 : 7, timedOut: false, runTimeMs: 1 });
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    resources.onAttribute((name, value) => changes.push([name, value]));
    resources.configure(cibWith("a"));
    await settle(() => resources.report().probed);
    await resources.operate("a", "start");
    expect(changes).toEqual([["fail-count-a#start_0", "INFINITY"], ["last-failure-a", "1000"]]);
    resources.cleanup("a");
    expect(changes.slice(2).sort()).toEqual([["fail-count-a#start_0", undefined], ["last-failure-a", undefined]]);
    resources.close();
  });

  it("runs the alert agents with CRM_alert_kind=attribute for this node's fail counts and permanent attributes", async () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "eh-attr-alerts-"));
    const runs: Array<Record<string, string>> = [];
    const alertRunner = new AlertRunner(silentLogger(), async (_file, env) => { runs.push(env); return { exitCode: 0, signal: undefined, timedOut: false, stdout: "", stderr: "", runTimeMs: 1 }; });
    const observability = new Observability({ clusterName: "c", node: { name: "n1", id: 1 }, nodes: [{ name: "n1", id: 1, links: [] }], stateDir: directory, version: "test", logger: silentLogger(), write: () => {}, alertRunner });
    try {
      observability.onConfiguration(cibWith("a", "off"));
      observability.onAttribute("fail-count-a#monitor_10000", "1");
      observability.onConfiguration(cibWith("a", "on"));
      observability.onConfiguration(cibWith("a"));
      await alertRunner.drain(1000);
      expect(runs.map((env) => [env.CRM_alert_kind, env.CRM_alert_node, env.CRM_alert_attribute_name, env.CRM_alert_attribute_value])).toEqual([
        ["attribute", "n1", "fail-count-a#monitor_10000", "1"],
        ["attribute", "n1", "standby", "on"],
        ["attribute", "n1", "standby", ""],
      ]);
    } finally {
      await observability.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
