// Whatever the edits build is a valid native CIB (the schema the agent checks
// every cib-replace against) and survives Pacemaker XML export and import.
import { describe, expect, it } from "vitest";
import { exportCibXml, importCibXml, parseNativeCib, serializeNativeCib } from "../../../src/cib";
import { parseColocationAdd, parseLevelAdd, parseLocationPrefers, parseOrderAdd, parseResourceCreate, parseStonithCreate } from "../../../src/admin";
import { dummy, edits, twoNodeCib } from "./fixture";

describe("edits produce valid CIBs", () => {
  it("every kind of edit at once: schema-valid, and the same after XML export and import", () => {
    const { cib } = edits(twoNodeCib(), [
      parseResourceCreate(["vip", "ocf:heartbeat:IPaddr2", "ip=192.0.2.10", "op", "monitor", "interval=5s", "timeout=20s", "on-fail=restart", "OCF_CHECK_LEVEL=10", "start", "timeout=30s", "start-delay=1s", "meta", "migration-threshold=3"], { group: "front" }),
      parseResourceCreate(["web", "systemd:haproxy"], { group: "front" }),
      dummy("db"),
      { kind: "clone", id: "db", meta: { "promoted-max": "1" }, promotable: true },
      dummy("ping"),
      { kind: "clone", id: "ping", meta: {}, promotable: false },
      parseStonithCreate(["fence-n1", "fence_ipmilan", "ip=192.0.2.101", "pcmk_host_list=node1"], false),
      parseLevelAdd(["1", "node1", "fence-n1"]),
      parseLocationPrefers(["front", "prefers", "node1=50"]),
      parseColocationAdd(["front", "with", "Promoted", "db-clone"]),
      parseOrderAdd(["promote", "db-clone", "then", "start", "front", "kind=Optional", "symmetrical=false"]),
      { kind: "resource-move", id: "front", node: "node2" },
      { kind: "resource-ban", id: "web", node: "node1" },
      { kind: "node-flag", node: "node1", flag: "standby", on: true },
      { kind: "node-attribute", node: "node2", values: { rack: "r2" } },
      { kind: "property-set", values: { "stonith-enabled": "true", "cluster-name": "pair" }, force: false },
      { kind: "resource-disable", id: "web" },
    ]);
    const text = serializeNativeCib(cib);
    const parsed = parseNativeCib(text, "edited.json");
    expect(parsed).toEqual(cib);
    const { cib: reimported, warnings } = importCibXml(exportCibXml(cib), "edited.xml");
    expect(warnings).toEqual([]);
    expect(reimported.resources).toEqual(cib.resources);
    expect(reimported.constraints).toEqual(cib.constraints);
    expect(reimported.nodes).toEqual(cib.nodes);
    expect(reimported.fencingTopology).toEqual(cib.fencingTopology);
    expect(reimported.properties).toEqual(cib.properties);
  });
});
