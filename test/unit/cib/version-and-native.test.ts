import { describe, expect, it } from "vitest";
import { cibDigest, compareVersions, emptyCib, nextConfigurationVersion, nextStatusVersion, parseDurationMs, parseNativeCib, serializeNativeCib } from "../../../src/cib";

describe("CIB versions", () => {
  it("orders by admin_epoch, then epoch, then num_updates", () => {
    expect(compareVersions({ adminEpoch: 1, epoch: 0, numUpdates: 0 }, { adminEpoch: 0, epoch: 99, numUpdates: 99 })).toBeGreaterThan(0);
    expect(compareVersions({ adminEpoch: 0, epoch: 5, numUpdates: 0 }, { adminEpoch: 0, epoch: 4, numUpdates: 9 })).toBeGreaterThan(0);
    expect(compareVersions({ adminEpoch: 0, epoch: 5, numUpdates: 1 }, { adminEpoch: 0, epoch: 5, numUpdates: 2 })).toBeLessThan(0);
    expect(compareVersions({ adminEpoch: 3, epoch: 5, numUpdates: 1 }, { adminEpoch: 3, epoch: 5, numUpdates: 1 })).toBe(0);
  });

  it("a configuration change bumps the epoch and resets num_updates; a status change bumps num_updates", () => {
    expect(nextConfigurationVersion({ adminEpoch: 1, epoch: 4, numUpdates: 7 })).toEqual({ adminEpoch: 1, epoch: 5, numUpdates: 0 });
    expect(nextStatusVersion({ adminEpoch: 1, epoch: 4, numUpdates: 7 })).toEqual({ adminEpoch: 1, epoch: 4, numUpdates: 8 });
  });

  it("the digest does not depend on key order but changes with any value", () => {
    const one = emptyCib();
    const reordered = JSON.parse(JSON.stringify({ ...one, version: { numUpdates: 0, epoch: 0, adminEpoch: 0 } }));
    expect(cibDigest(reordered)).toBe(cibDigest(one));
    expect(cibDigest({ ...one, attributes: { "have-quorum": "1" } })).not.toBe(cibDigest(one));
  });
});

describe("durations", () => {
  it("reads Pacemaker's units, plain seconds and ISO 8601", () => {
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("10s")).toBe(10_000);
    expect(parseDurationMs("15")).toBe(15_000);
    expect(parseDurationMs("2min")).toBe(120_000);
    expect(parseDurationMs("1h")).toBe(3_600_000);
    expect(parseDurationMs("PT1M30S")).toBe(90_000);
    expect(parseDurationMs("250000us")).toBe(250);
    expect(parseDurationMs("2000usec")).toBe(2);
  });

  it("rejects text that is not a duration, naming where it was found", () => {
    expect(() => parseDurationMs("soon", "op monitor interval")).toThrow("op monitor interval: 'soon' is not a duration");
  });
});

describe("native CIB form", () => {
  it("accepts a short hand-written YAML file and fills in the rest", () => {
    const yaml = ["resources:", "  - { kind: primitive, id: d1, class: ocf, provider: pacemaker, type: Dummy, operations: [{ name: monitor, interval: 5s }] }"].join("\n");
    const cib = parseNativeCib(yaml, "hand.yaml");
    expect(cib.resources[0]).toMatchObject({ id: "d1", instance: [], meta: [], operations: [{ name: "monitor", intervalMs: 5000 }] });
    expect(cib.version).toEqual({ adminEpoch: 0, epoch: 0, numUpdates: 0 });
  });

  it("names the JSON path of a wrong field", () => {
    const text = JSON.stringify({ resources: [{ kind: "primitive", id: "d1", class: "ocf", type: "Dummy", colour: "red" }] });
    expect(() => parseNativeCib(text, "bad.json")).toThrow(/\/resources\/0: must NOT have additional properties 'colour'/);
  });

  it("refuses an id used twice", () => {
    const text = JSON.stringify({
      resources: [
        { kind: "primitive", id: "same", class: "ocf", type: "Dummy" },
        { kind: "primitive", id: "same", class: "ocf", type: "Dummy" },
      ],
    });
    expect(() => parseNativeCib(text, "twice.json")).toThrow("the id 'same' is used twice");
  });

  it("reports a syntax error with the file name", () => {
    expect(() => parseNativeCib("{", "broken.json")).toThrow(/^broken\.json:1:2: /);
  });

  it("reads back what it writes", () => {
    const cib = emptyCib();
    expect(parseNativeCib(serializeNativeCib(cib), "x.json")).toEqual(cib);
  });
});
