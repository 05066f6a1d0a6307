import { describe, expect, it } from "vitest";
import { CIB_SCHEMA_CURRENT, CIB_SCHEMA_READ_MAX, cibSchemaOf, emptyCib, migrateCib, migrationPath, parseNativeCib, serializeNativeCib } from "../../../src/cib";

describe("CIB schema versions", () => {
  it("reads a CIB without a schema as schema 1, and migrates it step by step to the current one", () => {
    const old = parseNativeCib(serializeNativeCib(emptyCib()), "old.json");
    expect(cibSchemaOf(old)).toBe(1);
    const upgraded = migrateCib(old, CIB_SCHEMA_CURRENT);
    expect(cibSchemaOf(upgraded)).toBe(CIB_SCHEMA_CURRENT);
    expect(migrationPath(1, CIB_SCHEMA_CURRENT).map((step) => [step.from, step.to])).toEqual([[1, 2]]);
    // The upgraded CIB reads back as what it is.
    expect(cibSchemaOf(parseNativeCib(serializeNativeCib(upgraded), "new.json"))).toBe(CIB_SCHEMA_CURRENT);
  });

  it("never migrates downwards", () => {
    const upgraded = migrateCib(emptyCib(), 2);
    expect(migrateCib(upgraded, 1)).toBe(upgraded);
  });

  it("refuses a CIB of a newer schema whole, naming the schema, instead of misreading it", () => {
    const newer = { ...emptyCib(), schema: CIB_SCHEMA_READ_MAX + 1, tags: [{ id: "web" }] };
    expect(() => parseNativeCib(JSON.stringify(newer), "from-peer")).toThrow(
      expect.objectContaining({ code: "E_CIB_SCHEMA_NEWER", message: expect.stringMatching(`from-peer is written in CIB schema ${CIB_SCHEMA_READ_MAX + 1}, but this edgeha reads schemas up to ${CIB_SCHEMA_READ_MAX}`) }),
    );
    expect(() => migrateCib(emptyCib(), CIB_SCHEMA_READ_MAX + 1)).toThrow(expect.objectContaining({ code: "E_CIB_SCHEMA_NEWER" }));
  });
});
