// The durable-write helper: whole content or nothing, exact modes, no temporary files left
// behind, and no other code in src/ or fence-drivers/ that writes a kept file by hand.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeFileDurably } from "../../../src/common/durable";
import { repositoryRoot } from "../../support/environment";

const directories: string[] = [];
function scratch(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "eh-durable-"));
  directories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe("writeFileDurably", () => {
  it("writes a new file with mode 0600 by default and replaces it whole, keeping its mode", () => {
    const file = path.join(scratch(), "state.json");
    writeFileDurably(file, "{\"ringId\":1}");
    expect(readFileSync(file, "utf8")).toBe("{\"ringId\":1}");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileDurably(file, "{\"ringId\":2}", { mode: 0o640 });
    writeFileDurably(file, "{\"ringId\":3}");
    expect(readFileSync(file, "utf8")).toBe("{\"ringId\":3}");
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(path.dirname(file))).toEqual(["state.json"]);
  });

  it("writes bytes, and a new file's mode can be chosen", () => {
    const file = path.join(scratch(), "addon.node");
    writeFileDurably(file, Buffer.from([1, 2, 3]), { newFileMode: 0o644 });
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it("without overwrite, refuses an existing file (EEXIST) and leaves it and nothing else there", () => {
    const directory = scratch();
    const file = path.join(directory, "authkey");
    writeFileSync(file, "old");
    expect(() => writeFileDurably(file, "new", { overwrite: false })).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(readdirSync(directory)).toEqual(["authkey"]);
  });

  it("creates the directory when asked, and fails with the system error otherwise", () => {
    const directory = path.join(scratch(), "missing");
    expect(() => writeFileDurably(path.join(directory, "x"), "1")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    writeFileDurably(path.join(directory, "x"), "1", { makeDirectory: true });
    expect(readFileSync(path.join(directory, "x"), "utf8")).toBe("1");
    expect(statSync(directory).mode & 0o777).toBe(0o700);
  });
});

describe("every file the agent keeps goes through writeFileDurably", () => {
  // Files the user names on the command line for output (a graph, an exported config) are
  // not state the agent keeps; the agents' pid and state files live under /run. The helper
  // writes through the file-system port (src/common/fs-port.ts: node:fs, or the simulator's
  // in-memory disk src/sim/disk.ts, which writes no real file).
  const allowed = new Set(["src/common/durable.ts", "src/common/fs-port.ts", "src/sim/disk.ts", "src/cli/commands/simulate.ts", "src/cli/commands/config.ts", "src/cli/commands/cib.ts", "src/cli/commands/observe.ts"]);

  function sources(directory: string): string[] {
    return readdirSync(path.join(repositoryRoot, directory), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts"))
      .map((name) => path.join(directory, name));
  }

  it("no other source file writes, renames or appends to a file by hand", () => {
    const offenders: string[] = [];
    for (const file of [...sources("src"), ...sources("fence-drivers")]) {
      if (allowed.has(file)) continue;
      const text = readFileSync(path.join(repositoryRoot, file), "utf8");
      for (const call of ["writeFileSync", "renameSync", "appendFileSync", "writeFile(", "appendFile(", "rename("]) if (text.includes(call)) offenders.push(`${file}: ${call}`);
    }
    expect(offenders).toEqual([]);
  });
});
