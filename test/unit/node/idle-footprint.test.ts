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
import { createLogger, httpDate, isoTime } from "../../../src/common/log";
import { startMetricsServer } from "../../../src/api/http";
import { get } from "node:http";
import { Writable } from "node:stream";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { TRIM_AFTER_START_MS, trimMemoryLater } from "../../../src/node/liveness";
import { readFileSync, readdirSync } from "node:fs";
import { monotonicMs } from "../../../src/common/clock";
// @ts-expect-error: a plain ES module of the build scripts, without types
import { pinoWithoutTransports } from "../../../scripts/esbuild-plugins.mjs";

// The liveness addon built from its source for this machine (what scripts/build does for both architectures).
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
function livenessAddonFile(): string {
  const file = path.join(directory, "liveness.node");
  const compiled = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", file, path.join(repositoryRoot, "src/node/native/liveness.c"), "-lpthread"], { encoding: "utf8" });
  if (compiled.status !== 0) throw new Error(`gcc: ${compiled.stderr}`);
  return file;
}

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-idle-footprint-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The Node built-in modules (e.g. "https") that loading ENTRY, bundled as the executable bundles it, loads. */
async function builtinsLoadedBy(entry: string): Promise<string[]> {
  const outfile = path.join(directory, `${path.basename(entry, ".ts")}.cjs`);
  await build({
    entryPoints: [path.join(repositoryRoot, entry)], outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error",
    external: ["@serialport/bindings-cpp"], define: { EDGEHA_VERSION: JSON.stringify("0.0.0-test"), EDGEHA_REMEDIES: "{}" },
    plugins: [pinoWithoutTransports], // as scripts/bundle.mjs bundles
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

  it("loads no worker threads for its logger (pino's transports are left out of the bundle), and the logger still writes its lines", async () => {
    expect(readFileSync(path.join(repositoryRoot, "scripts/bundle.mjs"), "utf8")).toMatch(/plugins: \[pinoWithoutTransports\]/);
    const loaded = await builtinsLoadedBy("src/cli/commands/cluster.ts");
    expect(loaded).toContain("dgram");
    expect(loaded).not.toContain("worker_threads");
    const outfile = path.join(directory, "log.cjs");
    await build({
      stdin: { contents: `import { createLogger } from "./src/common/log"; createLogger({ name: "footprint", journal: false }).info({ n: 1 }, "a line"); process.stdout.write(JSON.stringify(process.moduleLoadList.filter((name) => name.startsWith("NativeModule "))));`, resolveDir: repositoryRoot, loader: "ts" },
      outfile, bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error", plugins: [pinoWithoutTransports],
      define: { EDGEHA_VERSION: JSON.stringify("0.0.0-test"), EDGEHA_REMEDIES: "{}" },
    });
    const output = execFileSync(process.execPath, [outfile], { encoding: "utf8", timeout: 60_000 });
    const [line, modules] = output.split("\n");
    expect(JSON.parse(line!)).toMatchObject({ level: 30, name: "footprint", n: 1, msg: "a line" });
    expect(JSON.parse(modules!)).not.toContain("NativeModule worker_threads");
  }, 120_000);

  it("reads its monotonic clock without the global `performance` (its first use loads node:perf_hooks, ~0.25 MiB)", () => {
    // Allowed: the alerts' wall-clock microseconds (only when an alert fires) and `edgeha sim` (a CLI command, not the agent).
    const allowed = new Set(["src/node/alerts.ts", "src/cli/commands/sim.ts"]);
    const offenders: string[] = [];
    const scan = (relative: string): void => {
      for (const entry of readdirSync(path.join(repositoryRoot, relative), { withFileTypes: true })) {
        const file = `${relative}/${entry.name}`;
        if (entry.isDirectory()) scan(file);
        else if (entry.name.endsWith(".ts") && !allowed.has(file)) {
          readFileSync(path.join(repositoryRoot, file), "utf8").split("\n").forEach((line, index) => {
            if (!/^\s*(\/\/|\*|\/\*)/.test(line) && /(?<![\w.])performance\s*\./.test(line)) offenders.push(`${file}:${index + 1}`);
          });
        }
      }
    };
    for (const top of ["src", "agents", "fence-drivers"]) scan(top);
    expect(offenders).toEqual([]);
    // The replacement reads the clock process.hrtime reads (CLOCK_MONOTONIC), in milliseconds.
    const before = Number(process.hrtime.bigint()) / 1e6;
    const read = monotonicMs();
    const after = Number(process.hrtime.bigint()) / 1e6;
    expect(read).toBeGreaterThanOrEqual(before - 1e-3);
    expect(read).toBeLessThanOrEqual(after + 1e-3);
  });

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

  it("formats times as Date's toISOString and toUTCString do, without calling them", () => {
    const toIso = vi.spyOn(Date.prototype, "toISOString");
    const toUtc = vi.spyOn(Date.prototype, "toUTCString");
    const expected: Array<[string, string]> = [];
    const actual: Array<[string, string]> = [];
    fc.assert(fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
      actual.push([isoTime(ms), httpDate(ms)]);
    }), { numRuns: 2000, examples: [[0], [951_782_400_000], [951_868_799_999], [4_107_542_400_000], [253_402_300_799_999]] });
    expect(toIso).not.toHaveBeenCalled();
    expect(toUtc).not.toHaveBeenCalled();
    toIso.mockRestore();
    toUtc.mockRestore();
    for (const [iso] of actual) expected.push([new Date(Date.parse(iso)).toISOString(), new Date(Date.parse(iso)).toUTCString()]);
    expect(actual).toEqual(expected);
  });

  it("log lines and the metrics endpoint's Date header never call Date's string methods (V8's first one faults ~0.5 MiB of ICU time-zone data in)", async () => {
    const toIso = vi.spyOn(Date.prototype, "toISOString");
    const toUtc = vi.spyOn(Date.prototype, "toUTCString");
    try {
      const lines: string[] = [];
      const logger = createLogger({ name: "footprint", destination: new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }), journal: false });
      const before = Date.now();
      logger.info("a line");
      const time = (JSON.parse(lines[0]!) as { time: string }).time;
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
      const server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, { metrics: () => "up 1\n", page: () => "<html></html>" });
      try {
        const date = await new Promise<string | undefined>((resolve, reject) => {
          get({ host: "127.0.0.1", port: server.address.port, path: "/metrics" }, (response) => { response.resume(); resolve(response.headers.date); }).on("error", reject);
        });
        expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      } finally {
        await server.close();
      }
      expect(toIso).not.toHaveBeenCalled();
      expect(toUtc).not.toHaveBeenCalled();
    } finally {
      toIso.mockRestore();
      toUtc.mockRestore();
    }
  });

  it.skipIf(!hasGcc)("the liveness addon's trimMemory gives the pages malloc keeps free back to the kernel", () => { // skipped: no gcc to build the liveness addon
    // 40 MiB in 100 KiB blocks (malloc's arena, below its mmap threshold), freed under a block
    // still in use: glibc keeps those pages (its own trim only cuts the top of the heap).
    const script = `const addon = { exports: {} }; process.dlopen(addon, ${JSON.stringify(livenessAddonFile())});
      const fs = require("fs");
      const rss = () => Number(/^Rss:\\s+(\\d+)/m.exec(fs.readFileSync("/proc/self/smaps_rollup", "utf8"))[1]) / 1024;
      let blocks = [];
      for (let i = 0; i < 400; i++) blocks.push(Buffer.allocUnsafeSlow(100 * 1024).fill(1));
      const pinned = Buffer.allocUnsafeSlow(1024).fill(2);
      blocks = null; globalThis.gc(); globalThis.gc();
      const freed = rss(); const trimmed = addon.exports.trimMemory(); const after = rss();
      process.stdout.write(JSON.stringify({ freed, after, trimmed, pinned: pinned.length }));`;
    const outcome = JSON.parse(execFileSync(process.execPath, ["--expose-gc", "--single-threaded-gc", "-e", script], { encoding: "utf8", timeout: 60_000 })) as { freed: number; after: number; trimmed: number };
    expect(outcome.trimmed).toBe(1);
    expect(outcome.freed - outcome.after).toBeGreaterThan(20);
  }, 120_000);

  it("the agent trims malloc's memory once, TRIM_AFTER_START_MS after it started, and not when it closed before", () => {
    vi.useFakeTimers();
    try {
      const lines: string[] = [];
      const logger = createLogger({ name: "footprint", level: "debug", destination: new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }), journal: false });
      let trims = 0;
      trimMemoryLater({ trimMemory: () => { trims++; return 1; } }, TRIM_AFTER_START_MS, logger);
      vi.advanceTimersByTime(TRIM_AFTER_START_MS - 1);
      expect(trims).toBe(0);
      vi.advanceTimersByTime(1);
      expect(trims).toBe(1);
      vi.advanceTimersByTime(10 * TRIM_AFTER_START_MS);
      expect(trims).toBe(1);
      expect(lines.join("")).toContain("gave malloc's free start-up memory back to the kernel");
      const cancel = trimMemoryLater({ trimMemory: () => { trims++; return 1; } }, TRIM_AFTER_START_MS, logger);
      cancel();
      vi.advanceTimersByTime(10 * TRIM_AFTER_START_MS);
      expect(trims).toBe(1);
      // Without the addon (or with a stand-in lacking it) nothing is armed.
      expect(() => trimMemoryLater(null, 0, logger)()).not.toThrow();
    } finally {
      vi.useRealTimers();
    }
  });

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
