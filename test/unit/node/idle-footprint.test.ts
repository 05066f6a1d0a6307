// What the long-running agent keeps out of its memory while it idles (issue 21, RSS): modules
// and data it loads only when a rare path needs them. The figures are bench/memory's; these
// tests hold the behaviour that the figures come from.
import { afterAll, describe, expect, it, vi } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { InputRecorder, RECORD_FORMAT, RECORD_VERSION, type RecordedInput } from "../../../src/node/recorder";
import { emptyCib } from "../../../src/cib";
import { repositoryRoot } from "../../support/environment";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-idle-footprint-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The Node built-in modules (e.g. "https") that loading ENTRY, bundled as the executable bundles it, loads. */
async function builtinsLoadedBy(entry: string): Promise<string[]> {
  const outfile = path.join(directory, `${path.basename(entry, ".ts")}.cjs`);
  await build({
    entryPoints: [path.join(repositoryRoot, entry)], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error",
    external: ["@serialport/bindings-cpp"], define: { EDGEHA_VERSION: JSON.stringify("0.0.0-test"), EDGEHA_REMEDIES: "{}" },
  });
  const script = `require(${JSON.stringify(outfile)}); process.stdout.write(JSON.stringify(process.moduleLoadList))`;
  const loaded = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 })) as string[];
  return loaded.filter((name) => name.startsWith("NativeModule ")).map((name) => name.slice("NativeModule ".length));
}

describe("the idle agent's footprint", () => {
  it("loads no TLS when the agent's modules load (the Redfish client loads node:https at its first request)", async () => {
    // src/cli/commands/cluster.ts is the command area main.ts loads for `edgeha agent`.
    const loaded = await builtinsLoadedBy("src/cli/commands/cluster.ts");
    expect(loaded).toContain("dgram"); // the probe sees the agent's own modules load
    expect(loaded).not.toContain("https");
    expect(loaded).not.toContain("tls");
  }, 120_000);

  it("the flight recorder orders its files without ICU collation (localeCompare would fault in ~1.7 MiB of ICU data)", () => {
    const record = (transition: number): RecordedInput => ({
      format: RECORD_FORMAT, version: RECORD_VERSION, transition, dc: "node1", nowSeconds: 1_800_000_000 + transition, reason: "test",
      cib: emptyCib(), graph: { actions: [], operations: [] }, steps: [],
    });
    const where = path.join(directory, "recorder");
    const recorder = new InputRecorder(where, (file, data) => writeFileSync(file, data));
    const localeCompare = vi.spyOn(String.prototype, "localeCompare");
    try {
      for (let transition = 0; transition < 4; transition++) recorder.save(record(transition));
      expect(localeCompare).not.toHaveBeenCalled();
    } finally {
      localeCompare.mockRestore();
    }
  });
});
