import { describe, expect, it } from "vitest";
import { clusterOptions, flattenSets, type Cib, type Primitive } from "../../../src/cib";
import { applyEdit, listProperties, parseLevelAdd, parseLevelRemove, parseStonithCreate, redactSecrets, REDACTED } from "../../../src/admin";
import { dummy, edits, failure, twoNodeCib } from "./fixture";

const drivers = { fenceDrivers: ["ipmilan", "scsi", "xvm"] };
const fenced = (): Cib => edits(twoNodeCib(), [
  parseStonithCreate(["fence-n1", "ipmilan", "ip=10.0.0.101", "username=admin"], false),
  parseStonithCreate(["fence-n2", "fence_ipmilan", "ip=10.0.0.102"], false),
], drivers).cib;

describe("stonith", () => {
  it("creates a stonith-class primitive with a 60s monitor", () => {
    const device = fenced().resources[0] as Primitive;
    expect(device).toMatchObject({ class: "stonith", type: "ipmilan", operations: [{ name: "monitor", interval: "60s" }] });
    expect(flattenSets(device.instance)).toEqual({ ip: "10.0.0.101", username: "admin" });
  });

  it("names the near driver for an unknown one and warns about an external fence_ program", () => {
    expect(failure(() => applyEdit(twoNodeCib(), parseStonithCreate(["f", "ipmilann"], false), drivers))).toMatchObject({ code: "E_ADMIN_AGENT", message: expect.stringContaining("did you mean 'ipmilan'") });
    const external = applyEdit(twoNodeCib(), parseStonithCreate(["f", "fence_apc"], false), drivers);
    expect(external.warnings.join("\n")).toContain("fence-agents program");
  });

  it("checks a built-in driver's parameters: a misspelt one names the near name, a missing required one is warned about", () => {
    const catalog = { ...drivers, fenceDriverParameters: { ipmilan: { names: ["ip", "ipaddr", "username", "login", "password"], required: [["ip", "ipaddr"], ["username", "login"]] } } };
    const misspelt = parseStonithCreate(["f", "ipmilan", "ip=192.0.2.1", "usernme=admin"], false);
    expect(failure(() => applyEdit(twoNodeCib(), misspelt, catalog))).toMatchObject({ code: "E_ADMIN_ARGUMENT", message: expect.stringContaining("did you mean 'username'") });
    const forced = applyEdit(twoNodeCib(), parseStonithCreate(["f", "ipmilan", "ipaddr=192.0.2.1", "usernme=admin"], false, true), catalog);
    expect(forced.warnings).toEqual([expect.stringContaining("set anyway (--force)"), "fence device 'f': driver 'ipmilan' needs 'username', which is not set"]);
    const pacemakerTypo = parseStonithCreate(["f", "ipmilan", "ip=192.0.2.1", "login=admin", "pcmk_host_lst=node1"], false);
    expect(failure(() => applyEdit(twoNodeCib(), pacemakerTypo, catalog))).toMatchObject({ message: expect.stringContaining("did you mean 'pcmk_host_list'") });
  });

  it("adds and removes fencing levels of fence devices only", () => {
    let cib = edits(fenced(), [parseLevelAdd(["1", "node1", "fence-n1"]), parseLevelAdd(["2", "node1", "fence-n2,fence-n1"])]).cib;
    expect(cib.fencingTopology).toMatchObject([{ id: "fl-node1-1", index: 1, target: "node1", devices: ["fence-n1"] }, { index: 2, devices: ["fence-n2", "fence-n1"] }]);
    expect(failure(() => applyEdit(cib, parseLevelAdd(["1", "node1", "fence-n2"])))).toMatchObject({ code: "E_ADMIN_FENCING_LEVEL", message: expect.stringContaining("already has level 1") });
    const withVip = applyEdit(cib, dummy("vip")).cib;
    expect(failure(() => applyEdit(withVip, parseLevelAdd(["3", "node1", "vip"])))).toMatchObject({ code: "E_ADMIN_FENCING_LEVEL" });
    expect(failure(() => applyEdit(cib, parseLevelAdd(["3", "node1", "fence-n3"])))).toMatchObject({ code: "E_ADMIN_UNKNOWN_RESOURCE" });
    expect(failure(() => applyEdit(cib, parseLevelAdd(["10", "node1", "fence-n1"])))).toMatchObject({ code: "E_ADMIN_FENCING_LEVEL" });
    cib = applyEdit(cib, parseLevelRemove(["2", "node1"])).cib;
    expect(cib.fencingTopology.map((level) => level.index)).toEqual([1]);
    expect(failure(() => applyEdit(cib, parseLevelRemove(["2"])))).toMatchObject({ code: "E_ADMIN_FENCING_LEVEL" });
  });

  it("deleting a device takes it out of its levels and drops a level left empty", () => {
    const cib = edits(fenced(), [parseLevelAdd(["1", "node1", "fence-n1"]), parseLevelAdd(["2", "node1", "fence-n2,fence-n1"])]).cib;
    const result = applyEdit(cib, { kind: "stonith-delete", id: "fence-n1" });
    expect(result.cib.fencingTopology).toMatchObject([{ index: 2, devices: ["fence-n2"] }]);
    expect(failure(() => applyEdit(result.cib, { kind: "resource-delete", id: "fence-n2" }))).toMatchObject({ message: expect.stringContaining("stonith delete") });
  });
});

describe("redaction", () => {
  it("hides passwords, kg keys and parameters a device marks secret", () => {
    const cib = applyEdit(twoNodeCib(), parseStonithCreate(["f", "fence_ipmilan", "passwd=a1", "kg=b2", "token=c3", "pcmk_secret_params=token", "ip=192.0.2.1"], false)).cib;
    expect(flattenSets(redactSecrets(cib).resources[0]!.instance)).toEqual({ passwd: REDACTED, kg: REDACTED, token: REDACTED, pcmk_secret_params: "token", ip: "192.0.2.1" });
  });
});

describe("node edits", () => {
  it("standby and maintenance are permanent node attributes; unstandby removes it", () => {
    const cib = edits(twoNodeCib(), [{ kind: "node-flag", node: "node1", flag: "standby", on: true }, { kind: "node-flag", node: "node2", flag: "maintenance", on: true }]).cib;
    expect(cib.nodes[0]!.instance).toEqual([{ id: "nodes-1", values: { standby: "on" }, pairIds: { standby: "nodes-1-standby" } }]);
    expect(flattenSets(cib.nodes[1]!.instance)).toEqual({ maintenance: "on" });
    expect(flattenSets(applyEdit(cib, { kind: "node-flag", node: "node1", flag: "standby", on: false }).cib.nodes[0]!.instance)).toEqual({});
  });

  it("sets and removes node attributes, and names the near node for an unknown one", () => {
    const cib = edits(twoNodeCib(), [{ kind: "node-attribute", node: "node2", values: { rack: "a", zone: "1" } }, { kind: "node-attribute", node: "node2", values: { zone: "" } }]).cib;
    expect(flattenSets(cib.nodes[1]!.instance)).toEqual({ rack: "a" });
    expect(failure(() => applyEdit(cib, { kind: "node-flag", node: "ndoe1", flag: "standby", on: true }))).toMatchObject({ code: "E_ADMIN_UNKNOWN_NODE", message: expect.stringContaining("did you mean 'node1'") });
  });
});

describe("property set, unset, list", () => {
  it("sets known properties in cib-bootstrap-options, typed as the scheduler reads them", () => {
    const cib = applyEdit(twoNodeCib(), { kind: "property-set", values: { "stonith-enabled": "false", "no-quorum-policy": "ignore" }, force: false }).cib;
    expect(cib.properties[0]!.id).toBe("cib-bootstrap-options");
    const { options } = clusterOptions(cib);
    expect(options.stonithEnabled).toBe(false);
    expect(options.noQuorumPolicy).toBe("ignore");
    const unset = applyEdit(cib, { kind: "property-unset", names: ["stonith-enabled"] }).cib;
    expect(clusterOptions(unset).options.raw).toEqual({ "no-quorum-policy": "ignore" });
  });

  it("names the near property for a misspelt one, and sets an unknown one only with --force", () => {
    expect(failure(() => applyEdit(twoNodeCib(), { kind: "property-set", values: { "stonith-enable": "false" }, force: false }))).toMatchObject({ code: "E_ADMIN_PROPERTY", message: expect.stringContaining("did you mean 'stonith-enabled'") });
    const forced = applyEdit(twoNodeCib(), { kind: "property-set", values: { "my-note": "x" }, force: true });
    expect(forced.warnings.join("\n")).toContain("--force");
    expect(listProperties(forced.cib, false)).toEqual([{ name: "my-note", value: "x", default: undefined, set: true }]);
  });

  it("checks values by type and refuses options the cluster sets itself", () => {
    const set = (values: Record<string, string>) => () => applyEdit(twoNodeCib(), { kind: "property-set", values, force: false });
    expect(failure(set({ "stonith-timeout": "soon" }))).toMatchObject({ code: "E_ADMIN_PROPERTY_VALUE" });
    expect(failure(set({ "no-quorum-policy": "frezee" }))).toMatchObject({ code: "E_ADMIN_PROPERTY_VALUE", message: expect.stringContaining("did you mean 'freeze'") });
    expect(failure(set({ "maintenance-mode": "maybe" }))).toMatchObject({ code: "E_ADMIN_PROPERTY_VALUE" });
    expect(failure(set({ "dc-version": "2.1" }))).toMatchObject({ code: "E_ADMIN_PROPERTY", message: expect.stringContaining("set by the cluster") });
  });

  it("refuses to turn on shutdown-lock, which edgeha does not implement (as a CIB import refuses it)", () => {
    const set = (values: Record<string, string>) => () => applyEdit(twoNodeCib(), { kind: "property-set", values, force: false });
    expect(failure(set({ "shutdown-lock": "true" }))).toMatchObject({ code: "E_CIB_UNSUPPORTED", message: expect.stringContaining("shutdown-lock") });
    expect(set({ "shutdown-lock": "false" })).not.toThrow();
  });

  it("lists every known option with its default when asked", () => {
    const all = listProperties(twoNodeCib(), true);
    expect(all.find((entry) => entry.name === "stonith-timeout")).toEqual({ name: "stonith-timeout", value: "60s", default: "60s", set: false });
    expect(all.some((entry) => entry.name === "dc-version")).toBe(false);
  });
});
