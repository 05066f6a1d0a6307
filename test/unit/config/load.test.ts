import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkConfigFile, formatProblem, loadConfig, writeAuthkey } from "../../../src/config/index";
import { PAIR, withLine } from "./helpers";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), "edgeha-config-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** The PAIR config with its authkey inside the test directory (line 8 names it). */
function writeConfig(text = PAIR): { file: string; keyFile: string } {
  const keyFile = path.join(directory, "authkey");
  const file = path.join(directory, "edgeha.yaml");
  writeFileSync(file, withLine(text, 8, `paths: { authkey: ${keyFile}, state_dir: /var/lib/edgeha }`));
  return { file, keyFile };
}

describe("checkConfigFile", () => {
  it("reports a missing authkey at the paths.authkey value", () => {
    const { file, keyFile } = writeConfig();
    const lines = checkConfigFile(file).problems.map((problem) => formatProblem(file, problem));
    expect(lines).toEqual([`${file}:8:19: authkey ${keyFile} does not exist; create it with 'edgeha keygen -o ${keyFile}' and copy it to every node`]);
  });

  it("reports an authkey others may read", () => {
    const { file, keyFile } = writeConfig();
    writeAuthkey(keyFile);
    chmodSync(keyFile, 0o644);
    const check = checkConfigFile(file);
    expect(check.config).toBeUndefined();
    expect(check.problems[0]?.message).toContain("has mode 0644");
  });

  it("accepts the config once the authkey exists", () => {
    const { file, keyFile } = writeConfig();
    writeAuthkey(keyFile);
    const check = checkConfigFile(file);
    expect(check.problems).toEqual([]);
    expect(check.config?.paths.authkey).toBe(keyFile);
  });

  it("skips the authkey when told not to look at files", () => {
    const { file } = writeConfig();
    expect(checkConfigFile(file, { checkFiles: false }).problems).toEqual([]);
  });

  it("does not require an authkey when crypto is off", () => {
    const { file } = writeConfig(withLine(PAIR, 2, "transport: { crypto: off }"));
    expect(checkConfigFile(file).problems.map((problem) => problem.severity)).toEqual(["warning"]);
  });

  it("refuses a missing config file with E_CONFIG_READ", () => {
    const missing = path.join(directory, "absent.yaml");
    expect(() => checkConfigFile(missing)).toThrowError(expect.objectContaining({ code: "E_CONFIG_READ", message: `config file ${missing} does not exist` }));
  });

  it("refuses a config file larger than 1 MiB", () => {
    const file = path.join(directory, "huge.yaml");
    writeFileSync(file, `# ${"x".repeat(1024 * 1024)}\n`);
    expect(() => checkConfigFile(file)).toThrowError(expect.objectContaining({ code: "E_CONFIG_READ" }));
  });

  it("refuses a directory given as the config file", () => {
    expect(() => checkConfigFile(directory)).toThrowError(expect.objectContaining({ code: "E_CONFIG_READ", message: expect.stringContaining("not a regular file") }));
  });
});

describe("loadConfig", () => {
  it("returns the config and hands warnings to onWarning", () => {
    const { file, keyFile } = writeConfig(withLine(PAIR, 6, "quorum: { two_node: true, wait_for_all: false }"));
    writeAuthkey(keyFile);
    const warnings: string[] = [];
    const config = loadConfig(file, { onWarning: (problem) => warnings.push(problem.message) });
    expect(config.quorum.waitForAll).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("wait_for_all is off");
  });

  it("throws E_CONFIG_INVALID with every error at its position", () => {
    const { file } = writeConfig(withLine(PAIR, 2, "transport: { port: 0 }"));
    expect(() => loadConfig(file)).toThrowError(
      expect.objectContaining({ code: "E_CONFIG_INVALID", message: expect.stringContaining(`${file}:2:20: transport.port must be`) }),
    );
  });

  it("includes the missing authkey among the errors it throws", () => {
    const { file } = writeConfig();
    expect(() => loadConfig(file)).toThrowError(expect.objectContaining({ code: "E_CONFIG_INVALID", message: expect.stringContaining(`${file}:8:19: authkey`) }));
  });
});
