import { describe, expect, it } from "vitest";
import { applyCibPatch, cibDigest, diffCibs, importCibXml, nextConfigurationVersion, nextStatusVersion, type Cib } from "../../../src/cib";

const base = importCibXml(`<cib admin_epoch="0" epoch="5" num_updates="2">
  <configuration>
    <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="left"/><node id="2" uname="right"/></nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/>
      <primitive id="web" class="systemd" type="nginx"/>
    </resources>
    <constraints>
      <rsc_colocation id="web-with-vip" rsc="web" with-rsc="vip" score="INFINITY"/>
      <rsc_order id="vip-then-web" first="vip" then="web"/>
    </constraints>
  </configuration>
  <status><node_state id="1" uname="left" in_ccm="true" crmd="online"/></status>
</cib>`).cib;

function changed(edit: (cib: Cib) => void, status = false): Cib {
  const copy = structuredClone(base);
  edit(copy);
  copy.version = status ? nextStatusVersion(base.version) : nextConfigurationVersion(base.version);
  return copy;
}

describe("CIB diff and patch", () => {
  const edits: Array<[string, (cib: Cib) => void]> = [
    ["a changed cluster property", (cib) => { cib.properties[0]!.values["stonith-enabled"] = "true"; }],
    ["an added resource", (cib) => { cib.resources.push({ kind: "primitive", id: "db", class: "ocf", provider: "heartbeat", type: "pgsql", extra: {}, instance: [], meta: [], operations: [] }); }],
    ["a removed constraint", (cib) => { cib.constraints.splice(1, 1); }],
    ["nodes in another order", (cib) => { cib.nodes.reverse(); }],
    ["a new <cib> attribute", (cib) => { cib.attributes["dc-uuid"] = "2"; }],
    ["a removed resource and a new one in its place", (cib) => { cib.resources[0] = { ...cib.resources[0]!, id: "vip2" } as Cib["resources"][number]; }],
    ["a new tag", (cib) => { cib.tags = [{ id: "frontend", refs: ["vip", "web"] }]; }],
  ];
  for (const [what, edit] of edits) {
    it(`turns the base into the changed CIB for ${what}`, () => {
      const after = changed(edit);
      const patch = diffCibs(base, after);
      expect(patch.changes.length).toBeGreaterThan(0);
      expect(applyCibPatch(base, patch)).toEqual(after);
    });
  }

  it("carries tags: a changed tag, and the last tag removed (no tags and none left are the same CIB)", () => {
    const tagged = changed((cib) => { cib.tags = [{ id: "frontend", refs: ["vip", "web"] }, { id: "db", refs: ["web"] }]; });
    const retagged = structuredClone(tagged);
    retagged.tags![0]!.refs = ["vip"];
    retagged.version = nextConfigurationVersion(tagged.version);
    expect(diffCibs(tagged, retagged).changes).toEqual([{ kind: "put", section: "tags", item: { id: "frontend", refs: ["vip"] } }]);
    expect(applyCibPatch(tagged, diffCibs(tagged, retagged))).toEqual(retagged);
    const untagged = structuredClone(tagged);
    delete untagged.tags;
    untagged.version = nextConfigurationVersion(tagged.version);
    expect(applyCibPatch(tagged, diffCibs(tagged, untagged))).toEqual(untagged);
    expect(cibDigest({ ...untagged, tags: [] })).toBe(cibDigest(untagged));
  });

  it("sends only the item that changed, not its whole section", () => {
    const after = changed((cib) => { cib.status[0]!.attributes.join = "member"; }, true);
    const patch = diffCibs(base, after);
    expect(patch.changes).toEqual([{ kind: "put", section: "status", item: after.status[0] }]);
    expect(patch.target).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 3 });
  });

  it("leaves the CIB it is applied to unchanged", () => {
    const before = structuredClone(base);
    applyCibPatch(base, diffCibs(base, changed((cib) => { cib.nodes.pop(); })));
    expect(base).toEqual(before);
  });

  it("refuses a patch made for another version", () => {
    const patch = diffCibs(base, changed((cib) => { cib.nodes.pop(); }));
    const newer = { ...base, version: nextStatusVersion(base.version) };
    expect(() => applyCibPatch(newer, patch)).toThrow(/applies to CIB version 0\.5\.2, but this CIB is version 0\.5\.3/);
  });

  it("refuses a patch whose base has the same version but other contents", () => {
    const patch = diffCibs(base, changed((cib) => { cib.nodes.pop(); }));
    const diverged = structuredClone(base);
    diverged.attributes["have-quorum"] = "0";
    expect(() => applyCibPatch(diverged, patch)).toThrow(expect.objectContaining({ code: "E_CIB_PATCH" }));
  });

  it("refuses a patch whose result does not match its target digest", () => {
    const patch = diffCibs(base, changed((cib) => { cib.nodes.pop(); }));
    patch.targetDigest = cibDigest(base);
    expect(() => applyCibPatch(base, patch)).toThrow(/did not give the CIB of version 0\.6\.0/);
  });

  it("replaces a section whole when its ids are not unique", () => {
    const after = changed((cib) => { cib.rscDefaults = [{ id: "d", values: { a: "1" } }, { id: "d", values: { b: "2" } }]; });
    const patch = diffCibs(base, after);
    expect(patch.changes).toEqual([{ kind: "replace", section: "rscDefaults", items: after.rscDefaults }]);
    expect(applyCibPatch(base, patch)).toEqual(after);
  });
});
