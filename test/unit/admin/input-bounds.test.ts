// What `resource create` and the other edits take from the command line is checked before
// anything is stored: agent names that would be paths, parameter names that are not names,
// ids over 256 characters (Pacemaker's id rule, XML NCName, as pcs checks it).
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-admin-bounds-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;

function cibFile(): string {
  const file = path.join(directory, `cib-${counter++}.json`);
  writeFileSync(file, JSON.stringify({ version: { adminEpoch: 0, epoch: 3, numUpdates: 0 }, nodes: [{ id: "1", uname: "node1" }, { id: "2", uname: "node2" }] }));
  return file;
}

/** Runs the command on a fresh file; the file must be exactly as it was afterwards. */
async function refused(...argv: string[]): Promise<{ status: number; err: string }> {
  const file = cibFile();
  const before = readFileSync(file, "utf8");
  const result = await runInProcess([...argv, "-f", file]);
  expect(readFileSync(file, "utf8")).toBe(before);
  return result;
}

describe("resource create input", () => {
  it("refuses path elements in the provider or type (it used to store ocf:../../../bin:sh with a warning)", async () => {
    for (const agent of ["ocf:../../../bin:sh", "ocf:heartbeat:../../x", "ocf:heartbeat:..", "systemd:../../etc/x", "lsb:/bin/sh", "ocf:heart beat:Dummy"]) {
      const result = await refused("resource", "create", "r", agent);
      expect(result.status).toBe(1);
      expect(result.err).toMatch(/is not a plain (provider|agent type) name: it would be read as a path.*\[E_ADMIN_AGENT\]/);
    }
  });

  it("still takes plain names, systemd templates and unit suffixes", async () => {
    const file = cibFile();
    // --force: the names are the point here, not whether the agents are installed with their required parameters.
    for (const [id, agent] of [["a", "ocf:heartbeat:IPaddr2"], ["b", "systemd:getty@tty1"], ["c", "systemd:haproxy.service"], ["d", "lsb:memcached"]]) {
      expect(await runInProcess(["resource", "create", id!, agent!, "-f", file, "--force"])).toMatchObject({ status: 0 });
    }
  });

  it("refuses a parameter, meta or operation option name with a quote, a space or a control character", async () => {
    for (const words of [['i"p=192.0.2.1'], ["meta", "target role=Stopped"], ["op", "monitor", "inter\u0007val=10s"], ["ip\n=x"]]) {
      const result = await refused("resource", "create", "vip", "ocf:heartbeat:IPaddr2", ...words);
      expect(result.status).toBe(1);
      expect(result.err).toMatch(/is not a valid name: use letters, digits, '_', '-', '\.' and ':', starting with a letter or '_' \(at most 256\) \[E_ADMIN_ARGUMENT\]/);
    }
  });

  it("refuses a 100,000-character id, and says so without printing it", async () => {
    const result = await refused("resource", "create", "x".repeat(100_000), "ocf:heartbeat:Dummy");
    expect(result.status).toBe(1);
    expect(result.err).toBe(`edgeha: '${"x".repeat(40)}...' (100000 characters) is not a valid resource id: at most 256 characters [E_ADMIN_ID]\n`);
    expect((await refused("stonith", "create", "f".repeat(257), "fence_xvm")).err).toContain("(257 characters) is not a valid fence device id: at most 256 characters [E_ADMIN_ID]");
  });

  it("refuses a value longer than 256 KiB", async () => {
    const result = await refused("resource", "create", "r", "ocf:heartbeat:Dummy", `note=${"v".repeat(256 * 1024 + 1)}`);
    expect(result.err).toContain("the value of 'note' has 262145 characters; at most 262144 [E_ADMIN_ARGUMENT]");
  });
});
