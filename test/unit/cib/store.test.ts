import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { BACKUPS_KEPT, CibStore, CONFLICTS_KEPT, emptyCib, type Cib } from "../../../src/cib";
import { createLogger } from "../../../src/common/log";

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  const logger = createLogger({ destination, level: "info" });
  return { logger, lines: () => chunks.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const directories: string[] = [];
function stateDirectory(): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-store-"));
  directories.push(directory);
  return directory;
}
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

function version(epoch: number): Cib {
  return { ...emptyCib(), version: { adminEpoch: 0, epoch, numUpdates: 0 } };
}

describe("CIB store", () => {
  it("says there is no CIB yet in an empty state directory", () => {
    expect(new CibStore(stateDirectory()).load()).toEqual({ cib: undefined, file: undefined, warnings: [] });
  });

  it("loads the newest version written", () => {
    const store = new CibStore(stateDirectory());
    store.save(version(1));
    store.save(version(2));
    expect(store.load().cib?.version.epoch).toBe(2);
  });

  it("keeps the current file and ten backups, no more", () => {
    const directory = stateDirectory();
    const store = new CibStore(directory);
    for (let epoch = 1; epoch <= 15; epoch++) store.save(version(epoch));
    expect(readdirSync(directory).filter((name) => name.endsWith(".json"))).toHaveLength(BACKUPS_KEPT + 1);
  });

  it("falls back to the newest intact backup when the current file is damaged, and says so", () => {
    const directory = stateDirectory();
    const store = new CibStore(directory);
    store.save(version(1));
    const current = store.save(version(2));
    writeFileSync(current, '{"format":"edgeha-cib/1","digest":"00","cib":');
    const result = store.load();
    expect(result.cib?.version.epoch).toBe(1);
    expect(result.warnings[0]).toContain(`CIB file ${current} is damaged`);
    expect(result.warnings[1]).toContain("loaded CIB version 0.1.0 from backup");
  });

  it("notices a file whose content no longer matches its digest", () => {
    const directory = stateDirectory();
    const store = new CibStore(directory);
    store.save(version(1));
    const current = store.save(version(2));
    writeFileSync(current, JSON.stringify({ format: "edgeha-cib/1", digest: "f".repeat(64), cib: version(7) }));
    expect(store.load().cib?.version.epoch).toBe(1);
  });

  it("refuses to start from nothing when every file is damaged", () => {
    const directory = stateDirectory();
    const store = new CibStore(directory);
    writeFileSync(store.save(version(1)), "garbage");
    expect(() => store.load()).toThrow(/no valid CIB in .*digest|no valid CIB in .*unreadable/);
  });

  it("opens an empty state directory as a new empty CIB, and says so", () => {
    const directory = stateDirectory();
    const result = new CibStore(directory).open();
    expect(result.created).toBe(true);
    expect(result.cib).toEqual(emptyCib());
    expect(result.warnings).toEqual([`no CIB in ${directory}: starting with a new, empty CIB`]);
  });

  it("opens the stored CIB when there is one", () => {
    const store = new CibStore(stateDirectory());
    store.save(version(4));
    const result = store.open();
    expect(result.created).toBe(false);
    expect(result.cib.version.epoch).toBe(4);
    expect(result.warnings).toEqual([]);
  });

  it("logs the fall back to a backup at error level", () => {
    const { logger, lines } = capturingLogger();
    const directory = stateDirectory();
    const store = new CibStore(directory, logger);
    store.save(version(1));
    writeFileSync(store.save(version(2)), "garbage");
    store.load();
    logger.flush();
    const errors = lines().filter((line) => line.level === 50 || line.level === "error");
    expect(errors.map((line) => line.msg)).toEqual([expect.stringContaining("is damaged"), expect.stringContaining("loaded CIB version 0.1.0 from backup")]);
  });

  it("keeps a configuration that lost a conflict beside the CIB files, bounded, and never loads it as the CIB", () => {
    const directory = stateDirectory();
    const store = new CibStore(directory);
    store.save(version(4));
    const loser = { ...version(4), properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "false" } }] };
    const file = store.keepConflict(loser);
    expect(path.basename(file)).toMatch(/^conflict-0\.4\.0-[0-9a-f]{16}\.json$/);
    expect((JSON.parse(readFileSync(file, "utf8")) as { cib: Cib }).cib).toEqual(loser);
    expect(store.load().cib).toEqual(version(4));
    for (let index = 0; index < CONFLICTS_KEPT + 5; index++) store.keepConflict({ ...loser, properties: [{ id: "p", values: { n: String(index) } }] });
    expect(readdirSync(directory).filter((name) => name.startsWith("conflict-"))).toHaveLength(CONFLICTS_KEPT);
  });
});
