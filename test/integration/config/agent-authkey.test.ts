// The node agent refuses to start with an authkey that group or others can read.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { runCliProcess } from "../../support/environment";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-agent-key-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("edgeha agent and the authkey", () => {
  it("refuses a key file readable by others, naming the file, its mode and the fix", () => {
    const key = path.join(directory, "authkey");
    writeFileSync(key, randomBytes(256));
    chmodSync(key, 0o644);
    const config = path.join(directory, "edgeha.yaml");
    writeFileSync(
      config,
      [
        "cluster_name: keytest",
        "transport: { port: 35411 }",
        "nodes:",
        "  - { name: node1, id: 1, links: [127.0.0.1] }",
        "  - { name: node2, id: 2, links: [127.0.0.2] }",
        `paths: { authkey: ${key}, state_dir: ${directory}/state, socket: ${directory}/edgeha.sock }`,
      ].join("\n"),
    );
    const result = runCliProcess(["agent", "--config", config, "--node", "node1"], { timeoutMs: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`authkey ${key} has mode 0644`);
    expect(result.stderr).toContain(`chmod 600 ${key}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
