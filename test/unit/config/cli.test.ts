// The config commands run as a real process from the CLI bundle: exit codes,
// output shape, and no stack traces.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCliProcess } from "../../support/environment";
import { PAIR, withLine } from "./helpers";

let directory: string;
let keyFile: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), "edgeha-config-cli-"));
  keyFile = path.join(directory, "authkey");
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function configFile(name: string, text: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, withLine(text, 8, `paths: { authkey: ${keyFile} }`));
  return file;
}

function expectNoStackTrace(output: string): void {
  expect(output).not.toMatch(/^\s+at /m);
}

describe("edgeha keygen", () => {
  it("writes a 0600 key without printing it, exit 0", () => {
    const result = runCliProcess(["keygen", "-o", keyFile]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`wrote a new 256-byte authkey to ${keyFile} (mode 0600); copy it to every node\n`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("refuses to overwrite without --force, exit 1 with one line", () => {
    const before = readFileSync(keyFile);
    const result = runCliProcess(["keygen", "-o", keyFile]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`edgeha: ${keyFile} already exists; keeping it (pass --force to replace it, then copy the new key to every node) [E_AUTHKEY_EXISTS]\n`);
    expect(readFileSync(keyFile).equals(before)).toBe(true);
  });

  it("replaces the key with --force", () => {
    const before = readFileSync(keyFile);
    expect(runCliProcess(["keygen", "-o", keyFile, "--force"]).status).toBe(0);
    expect(readFileSync(keyFile).equals(before)).toBe(false);
  });

  it("rejects a positional argument with exit 2", () => {
    const result = runCliProcess(["keygen", keyFile]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("name the file with -o FILE");
  });
});

describe("edgeha config check", () => {
  it("prints a one-line OK summary and exits 0 for a valid config", () => {
    const file = configFile("ok.yaml", PAIR);
    const result = runCliProcess(["config", "check", file]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`${file}: OK: cluster 'shelf7', 2 nodes, 2 links each, two_node, arbiter 10.20.0.9:5406, crypto on\n`);
    expect(result.status).toBe(0);
  });

  it("prints every error as FILE:LINE:COLUMN: message and exits 1", () => {
    const file = configFile("bad.yaml", withLine(withLine(PAIR, 2, "transport: { port: 0 }"), 5, "  - { name: beta, id: 1, links: [10.20.0.2, 172.16.9.2] }"));
    const result = runCliProcess(["config", "check", file]);
    expect(result.status).toBe(1);
    expect(result.stdout.split("\n")).toEqual([
      `${file}:2:20: transport.port must be an integer from 1 to 65535, not the number 0`,
      `${file}:5:23: node id 1 is used twice (first at line 4)`,
      `${file}: 2 errors, 0 warnings`,
      "",
    ]);
    expectNoStackTrace(result.stdout + result.stderr);
  });

  it("marks warnings and still exits 0 when there is no error", () => {
    const file = configFile("warn.yaml", withLine(PAIR, 2, "transport: { crypto: off }"));
    const result = runCliProcess(["config", "check", file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${file}:2:22: warning: crypto is off`));
    expect(result.stdout).toMatch(/OK: .* \(1 warning\)\n$/);
  });

  it("reports a missing authkey unless --no-files is given", () => {
    const missingKey = path.join(directory, "no-such-key");
    const file = path.join(directory, "nokey.yaml");
    writeFileSync(file, withLine(PAIR, 8, `paths: { authkey: ${missingKey} }`));
    const withFiles = runCliProcess(["config", "check", file]);
    expect(withFiles.status).toBe(1);
    expect(withFiles.stdout).toContain(`${file}:8:19: authkey ${missingKey} does not exist`);
    expect(runCliProcess(["config", "check", file, "--no-files"]).status).toBe(0);
  });

  it("reports a group-readable authkey with its mode", () => {
    const looseKey = path.join(directory, "loose-key");
    writeFileSync(looseKey, Buffer.alloc(64, 1));
    chmodSync(looseKey, 0o640);
    const file = path.join(directory, "loose.yaml");
    writeFileSync(file, withLine(PAIR, 8, `paths: { authkey: ${looseKey} }`));
    const result = runCliProcess(["config", "check", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`has mode 0640: group or others may access it; run 'chmod 600 ${looseKey}'`);
  });

  it("prints problems and the normalized config as JSON", () => {
    const file = configFile("json.yaml", withLine(PAIR, 2, "transport: { crypto: off }"));
    const result = runCliProcess(["config", "check", file, "--json"]);
    expect(result.status).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ file, valid: true, errors: 0, warnings: 1 });
    expect(document.problems[0]).toMatchObject({ severity: "warning", line: 2, column: 22, path: "transport.crypto" });
    expect(document.config.timing).toEqual({ heartbeatMs: 100, tokenMs: 500, consensusMs: 600, joinMs: 50, echoMs: 20 });
  });

  it("prints errors as JSON with exit 1 and no config", () => {
    const file = configFile("json-bad.yaml", withLine(PAIR, 2, "transport: { port: -1 }"));
    const result = runCliProcess(["config", "check", file, "--json"]);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, errors: 1, config: null });
  });

  it("exits 1 with one line when the file does not exist", () => {
    const result = runCliProcess(["config", "check", path.join(directory, "absent.yaml")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^edgeha: config file .*absent\.yaml does not exist \[E_CONFIG_READ\]\n$/);
  });

  it("exits 2 without a FILE", () => {
    const result = runCliProcess(["config", "check"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'edgeha config check' needs a FILE");
  });

  it("exits 2 on an unknown option, suggesting the near one", () => {
    const result = runCliProcess(["config", "check", "x.yaml", "--no-file"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("'--no-files'");
  });
});

describe("edgeha config explain", () => {
  it("explains the built-in defaults without a FILE", () => {
    const result = runCliProcess(["config", "explain"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Timing (built-in defaults; pass FILE to explain a config):");
    // The defaults: heartbeat 500 ms, token 2 x 500, consensus 1.2 x 1000; worst detection 1000 + 1200.
    expect(result.stdout).toMatch(/heartbeat_ms +500 ms +default/);
    expect(result.stdout).toMatch(/detect +130 ms +2200 ms +timing +worst: token_ms \+ consensus_ms/);
  });

  it("explains the timing of a file", () => {
    const file = configFile("fast.yaml", withLine(PAIR, 7, "timing: { heartbeat_ms: 400 }"));
    const result = runCliProcess(["config", "explain", file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/heartbeat_ms +400 ms +set/);
    expect(result.stdout).toMatch(/token_ms +800 ms +default/);
    expect(result.stdout).toMatch(/total +typical \d+ ms( \+ fence)?( \+ start)?; worst 1760 ms \+ elect \+ fence \+ start/);
  });

  it("prints the budget as JSON", () => {
    const result = runCliProcess(["config", "explain", "--json"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file: null, knownMs: 2200 });
  });

  it("refuses an invalid file with its problems, exit 1", () => {
    const file = configFile("broken.yaml", withLine(PAIR, 7, "timing: { heartbeat_ms: 300, token_ms: 500 }"));
    const result = runCliProcess(["config", "explain", file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${file}:7:40: token_ms 500 is less than 2 x heartbeat_ms (600)`);
  });
});
