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

  it("validates a CIB without generating code at run time (the schema's validator is compiled ahead of time, not by Ajv in the agent)", async () => {
    // Node refuses eval and new Function with --disallow-code-generation-from-strings: Ajv's
    // run-time compiler cannot work there, the ahead-of-time validator does.
    const outfile = path.join(directory, "native-cib.cjs");
    await build({
      stdin: { contents: `export { parseNativeCib } from "./src/cib/native";`, resolveDir: repositoryRoot, loader: "ts" }, outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error",
      define: { EDGEHA_VERSION: JSON.stringify("0.0.0-test"), EDGEHA_REMEDIES: "{}" },
    });
    const script = `const { parseNativeCib } = require(${JSON.stringify(outfile)});
      const good = parseNativeCib(JSON.stringify({ resources: [{ kind: "primitive", id: "vip", class: "ocf", provider: "heartbeat", type: "IPaddr2" }] }), "good.json");
      let refused = "";
      try { parseNativeCib(JSON.stringify({ resources: [{ kind: "primitive", id: "vip" }], bogus: 1 }), "bad.json"); } catch (error) { refused = error.message; }
      process.stdout.write(JSON.stringify({ resources: good.resources.length, nodes: good.nodes, refused }));`;
    const outcome = JSON.parse(execFileSync(process.execPath, ["--disallow-code-generation-from-strings", "-e", script], { encoding: "utf8", timeout: 60_000 })) as { resources: number; nodes: unknown; refused: string };
    expect(outcome.resources).toBe(1);
    expect(outcome.nodes).toEqual([]); // the schema's defaults filled in what the file left out
    expect(outcome.refused).toContain("bad.json");
    expect(outcome.refused).toContain("'bogus'");
  }, 120_000);

  it("the committed CIB validator is the one docs/cib.schema.json gives (scripts/cib-validator.mjs --check)", () => {
    execFileSync(process.execPath, [path.join(repositoryRoot, "scripts/cib-validator.mjs"), "--check"], { encoding: "utf8", timeout: 60_000 });
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
