import { describe, expect, it } from "vitest";
import { cibHeader, clusterOptions, parseBoolean, parseScore, type NvSet } from "../../../src/cib";

const set = (id: string, values: Record<string, string>, extra: Partial<NvSet> = {}): NvSet => ({ id, values, ...extra });

describe("cluster properties", () => {
  it("gives Pacemaker's defaults when nothing is set", () => {
    const { options, warnings } = clusterOptions({ properties: [] });
    expect(warnings).toEqual([]);
    expect(options).toMatchObject({
      stonithEnabled: true, noQuorumPolicy: "stop", symmetricCluster: true, maintenanceMode: false, stopAllResources: false,
      startFailureIsFatal: true, priorityFencingDelayMs: 0, stonithTimeoutMs: 60_000, clusterRecheckIntervalMs: 900_000, stonithAction: "reboot",
    });
  });

  it("reads booleans, durations and words as Pacemaker writes them", () => {
    const { options } = clusterOptions({ properties: [set("p", {
      "stonith-enabled": "off", "no-quorum-policy": "ignore", "stonith-timeout": "90", "priority-fencing-delay": "PT15S", "symmetric-cluster": "No", "batch-limit": "30",
    })] });
    expect(options).toMatchObject({ stonithEnabled: false, noQuorumPolicy: "ignore", stonithTimeoutMs: 90_000, priorityFencingDelayMs: 15_000, symmetricCluster: false, batchLimit: 30 });
  });

  it("reads cib-bootstrap-options first, then sets by descending score", () => {
    const { options } = clusterOptions({ properties: [
      set("low", { "no-quorum-policy": "freeze", "maintenance-mode": "true", "cluster-name": "low" }, { score: "10" }),
      set("high", { "no-quorum-policy": "ignore", "cluster-name": "high" }, { score: "INFINITY" }),
      set("cib-bootstrap-options", { "no-quorum-policy": "demote" }),
    ] });
    expect(options.noQuorumPolicy).toBe("demote");
    expect(options.maintenanceMode).toBe(true);
    expect(options.raw["cluster-name"]).toBe("high");
  });

  it("falls back to the default, with a warning, for a value that does not parse", () => {
    const { options, warnings } = clusterOptions({ properties: [set("p", { "stonith-enabled": "maybe", "no-quorum-policy": "panic" })] });
    expect(options.stonithEnabled).toBe(true);
    expect(options.noQuorumPolicy).toBe("stop");
    expect(warnings).toEqual([
      "cluster property stonith-enabled='maybe' is not valid; using the default 'true'",
      "cluster property no-quorum-policy='panic' is not valid; using the default 'stop'",
    ]);
  });

  it("keeps properties it has no type for as written", () => {
    expect(clusterOptions({ properties: [set("p", { "dc-version": "2.1.5-abc" })] }).options.raw).toEqual({ "dc-version": "2.1.5-abc" });
  });

  it("without a time, does not use a set with a rule, and says so (clusterOptionsAt evaluates it)", () => {
    const { options, warnings } = clusterOptions({ properties: [
      set("timed", { "maintenance-mode": "true" }, { rule: { id: "r", booleanOp: "and", expressions: [], rules: [] } }),
    ] });
    expect(options.maintenanceMode).toBe(false);
    expect(warnings).toEqual(["cluster_property_set timed has a rule and was read without a time, so it is left out (clusterOptionsAt in src/scheduler evaluates rules)"]);
  });

  it("parses scores and boolean words like Pacemaker", () => {
    expect([parseScore("INFINITY"), parseScore("+INFINITY"), parseScore("-INFINITY"), parseScore("250"), parseScore("-5000000"), parseScore(undefined)])
      .toEqual([1_000_000, 1_000_000, -1_000_000, 250, -1_000_000, 0]);
    expect(["yes", "Y", "1", "on", "false", "n", "off", "perhaps"].map(parseBoolean)).toEqual([true, true, true, true, false, false, false, undefined]);
  });

  it("reads the <cib> header: quorum only when have-quorum says so", () => {
    expect(cibHeader({ attributes: { "have-quorum": "1", "dc-uuid": "2", "validate-with": "pacemaker-3.7", crm_feature_set: "3.16.2" } }))
      .toEqual({ haveQuorum: true, dcUuid: "2", validateWith: "pacemaker-3.7", crmFeatureSet: "3.16.2" });
    expect(cibHeader({ attributes: { "have-quorum": "false" } }).haveQuorum).toBe(false);
    expect(cibHeader({ attributes: {} })).toEqual({ haveQuorum: false });
  });
});
