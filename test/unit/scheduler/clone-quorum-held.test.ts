// A running clone instance that may not keep running without quorum (no-quorum-policy=stop)
// still holds the node it was assigned, so no other instance is assigned there (clone-node-max
// is 1 by default). Checked against crm_simulate (Pacemaker 2.1.5) on the same small CIB.
import { describe, expect, it } from "vitest";
import { importCibXml } from "../../../src/cib";
import { schedule } from "../../../src/scheduler";
import { sameActions } from "../../conformance/scheduler-compare";
import { history, record, smallCibXml } from "./small-cib";

describe("clone instance held for quorum", () => {
  it("stops where it runs, and no other instance's blocked start is placed on its node", () => {
    // Three nodes, cedar lost (fencing off, so it is down cleanly); web runs on alder.
    const xml = smallCibXml({
      nodes: ["alder", "birch", "cedar"], properties: `<nvpair id="nq" name="no-quorum-policy" value="stop"/>`,
      resources: `<clone id="web-clone"><primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/></clone>`,
      history: { alder: history("web", [record("web", "start", { call: 5 })]) },
    }).replace(`have-quorum="1"`, `have-quorum="0"`).replace(`uname="cedar" in_ccm="true" crmd="online"`, `uname="cedar" in_ccm="false" crmd="offline"`);
    const actions = schedule(importCibXml(xml, "held.xml").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
    expect(sameActions(actions, [
      { action: "stop", resource: "web:0", node: "alder" },
      { action: "start", resource: "web:1", node: "birch", blocked: true },
    ])).toBe(true);
  });
});
