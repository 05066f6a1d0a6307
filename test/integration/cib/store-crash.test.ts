// Kills a process that is writing CIB versions with SIGKILL at random moments,
// at least 200 times, and checks after each kill that the store loads either
// the last version the writer reported saved or the one it was writing, never
// anything else and never garbage.
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { BACKUPS_KEPT, CibStore } from "../../../src/cib";
import { repositoryRoot } from "../../support/environment";

const KILLS = 200;
let writer: string;

beforeAll(async () => {
  writer = path.join(mkdtempSync(path.join(os.tmpdir(), "edgeha-writer-")), "writer.cjs");
  await build({ entryPoints: [path.join(repositoryRoot, "test/support/cib-writer.ts")], bundle: true, platform: "node", outfile: writer, logLevel: "warning" });
});

/** A small deterministic generator, so a failing run can be repeated from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function runAndKill(directory: string, start: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, directory, String(start)], { stdio: ["ignore", "pipe", "inherit"] });
    let lastSaved = start - 1;
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) lastSaved = Number(line.slice("saved ".length));
    });
    // The kill comes delayMs after the writer's first save, so it lands among writes.
    let timer: NodeJS.Timeout | undefined;
    child.stdout.once("data", () => (timer = setTimeout(() => child.kill("SIGKILL"), delayMs)));
    const startupLimit = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(timer);
      clearTimeout(startupLimit);
      resolve(lastSaved);
    });
  });
}

describe("CIB store under SIGKILL", () => {
  it(`loads the last or the in-flight version after each of ${KILLS} kills`, async () => {
    const seed = Number(process.env.EDGEHA_CRASH_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-crash-"));
    const store = new CibStore(directory);
    let epoch = 1;
    let killsWhileWriting = 0;
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const reported = await runAndKill(directory, epoch, Math.floor(next() * 25));
        if (reported > epoch) killsWhileWriting++;
        const { cib, warnings } = store.load();
        const loaded = cib?.version.epoch ?? 0;
        expect(warnings, `seed ${seed}, kill ${kill}`).toEqual([]);
        expect([reported, reported + 1], `seed ${seed}, kill ${kill}: writer reported ${reported}, store loaded ${loaded}`).toContain(loaded);
        // A kill between the rename and the pruning leaves one file more, until the next save.
        expect(readdirSync(directory).filter((name) => name.endsWith(".json")).length).toBeLessThanOrEqual(BACKUPS_KEPT + 2);
        epoch = Math.max(loaded, reported) + 1;
      }
      // Most kills must land after several saves, while versions are being written.
      expect(killsWhileWriting, `seed ${seed}`).toBeGreaterThan(KILLS / 2);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 300_000);
});
