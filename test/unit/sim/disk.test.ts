// The simulated disk runs the agent's own CIB store (src/cib/store.ts over the file-system port):
// a crash in the middle of a write really tears the file it was writing, a power loss really
// keeps only what was made durable, and the agent's loader (digest check, fallback to a backup,
// leftovers removed) is what reads it back. The simulator's old model could do none of this:
// its "torn" write wrote nothing at all, and its loader was a copy of the store's.
import { describe, expect, it } from "vitest";
import { CibStore, cibDigest, emptyCib, type Cib } from "../../../src/cib";
import { writeFileDurably } from "../../../src/common/durable";
import { SimCrash, SimDisk } from "../../../src/sim/disk";
import { Random } from "../../../src/sim/random";
import { simPrimitive } from "../../../src/sim/changes";

const DIRECTORY = "/var/lib/edgeha/cib";

function version(epoch: number): Cib {
  return { ...emptyCib(), version: { adminEpoch: 0, epoch, numUpdates: 0 }, resources: [simPrimitive(`r${epoch}`)] };
}

function stored(cib: Cib): string {
  return JSON.stringify({ format: "edgeha-cib/1", digest: cibDigest(cib), cib });
}

function read(disk: SimDisk, file: string): string {
  const descriptor = disk.openSync(file, "r");
  const buffer = new Uint8Array(disk.fstatSync(descriptor).size);
  disk.readSync(descriptor, buffer, 0, buffer.length, null);
  disk.closeSync(descriptor);
  return Buffer.from(buffer).toString("utf8");
}

function setUp(): { disk: SimDisk; store: CibStore } {
  const disk = new SimDisk();
  const store = new CibStore(DIRECTORY, undefined, disk);
  store.save(version(1));
  store.save(version(2));
  return { disk, store };
}

describe("the simulated disk under the agent's CIB store", () => {
  it("a crash in the middle of writing a CIB tears the temporary file; the loader keeps the previous version, and the next save removes the leftover", () => {
    const { disk, store } = setUp();
    // The second mutating call of the save is the write of the temporary file (the first creates it).
    disk.armCrash(1, new Random(7));
    expect(() => store.save(version(3))).toThrow(SimCrash);
    expect(disk.died?.point).toMatch(/^in the middle of writing \/var\/lib\/edgeha\/cib\/\.cib-000000000003\.json\.sim1\.\d+\.tmp$/);
    // The process is dead: nothing more it does reaches the disk. The next one finds what it left.
    expect(() => store.load()).toThrow(/the agent process died/);
    disk.processEnded();
    const [leftover, ...others] = disk.temporaryFiles(DIRECTORY);
    expect(others).toEqual([]);
    // Really torn: a strict prefix of what the store meant to write, which does not parse.
    const whole = stored(version(3));
    const torn = read(disk, `${DIRECTORY}/${leftover}`);
    expect(torn.length).toBeLessThan(whole.length);
    expect(whole.startsWith(torn)).toBe(true);
    expect(() => JSON.parse(torn)).toThrow();
    // The next agent process loads version 2, and its first save removes the torn leftover.
    const loaded = store.load();
    expect(loaded.cib?.version.epoch).toBe(2);
    expect(loaded.warnings).toEqual([]);
    store.save(version(3));
    expect(disk.temporaryFiles(DIRECTORY)).toEqual([]);
    expect(store.load().cib?.version.epoch).toBe(3);
  });

  it("a CIB file renamed into place before its data was fsynced is torn by a power loss, and the loader falls back to the backup, saying so", () => {
    const { disk, store } = setUp();
    // A writer that skips the fsync of the data (what the durable-write helper never does).
    const temporary = `${DIRECTORY}/.cib-000000000003.json.sim1.99.tmp`;
    const descriptor = disk.openSync(temporary, "wx", 0o600);
    const bytes = Buffer.from(stored(version(3)), "utf8");
    disk.writeSync(descriptor, bytes, 0, bytes.length);
    disk.closeSync(descriptor);
    disk.renameSync(temporary, `${DIRECTORY}/cib-000000000003.json`);
    const directory = disk.openSync(DIRECTORY, "r");
    disk.fsyncSync(directory);
    disk.closeSync(directory);
    expect(store.load().cib?.version.epoch).toBe(3);
    disk.powerLoss(new Random(1));
    const torn = read(disk, `${DIRECTORY}/cib-000000000003.json`);
    expect(torn.length).toBeLessThan(bytes.length);
    expect(bytes.toString("utf8").startsWith(torn)).toBe(true);
    const loaded = store.load();
    expect(loaded.cib?.version.epoch).toBe(2);
    expect(loaded.file).toBe(`${DIRECTORY}/cib-000000000002.json`);
    expect(loaded.warnings[0]).toMatch(/^CIB file \/var\/lib\/edgeha\/cib\/cib-000000000003\.json is damaged \((unreadable|not an edgeha CIB file|digest mismatch)/);
    expect(loaded.warnings[1]).toBe("loaded CIB version 0.2.0 from backup /var/lib/edgeha/cib/cib-000000000002.json");
  });

  it("a power loss after a crash before the directory sync may undo the rename, but never leaves a damaged CIB: the helper fsynced the data first", () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const { disk, store } = setUp();
      // Create, write, fsync, rename: the fifth call, the directory sync, is where the process dies.
      disk.armCrash(4, new Random(seed));
      expect(() => store.save(version(3))).toThrow(SimCrash);
      expect(disk.died?.point).toBe(`at syncing the directory ${DIRECTORY}`);
      disk.powerLoss(new Random(seed));
      const loaded = store.load();
      expect(loaded.warnings).toEqual([]);
      outcomes.add(loaded.cib!.version.epoch);
    }
    // Both happen: the rename reached the disk, or it was lost with the power.
    expect([...outcomes].sort()).toEqual([2, 3]);
  });

  it("every step of the durable-write helper can be the one the process dies in; whatever it left, the file is the old one or the new one, whole", () => {
    for (let step = 0; step < 5; step++) {
      for (const seed of [1, 2, 3]) {
        const disk = new SimDisk();
        disk.mkdirSync("/state", { recursive: true, mode: 0o700 });
        writeFileDurably("/state/membership.json", "{\"ringId\":4}", { fs: disk });
        disk.armCrash(step, new Random(seed));
        expect(() => writeFileDurably("/state/membership.json", "{\"ringId\":5}", { fs: disk })).toThrow(SimCrash);
        disk.powerLoss(new Random(seed));
        expect(["{\"ringId\":4}", "{\"ringId\":5}"]).toContain(read(disk, "/state/membership.json"));
      }
    }
  });
});
