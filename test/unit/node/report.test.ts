// The support report's local part and packing: every file is there, the bundle is a tar.gz
// that tar reads, the unreachable members are named, and no secret survives anywhere.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { emptyCib, type Cib } from "../../../src/cib";
import { collectLocalPart, packReport, redactText } from "../../../src/node/report";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-report-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const PASSWORD = "s3cret-Ipmi-Pw";
const SCRIPT_OUTPUT = "from-passwd-script-77";

function cib(): Cib {
  return {
    ...emptyCib(),
    resources: [{ kind: "primitive", id: "fence-n2", class: "stonith", type: "ipmilan", extra: {}, meta: [], operations: [], instance: [{ id: "fence-n2-params", values: { ip: "10.0.0.2", username: "admin", password: PASSWORD, pcmk_host_list: "n2" } }] }],
  };
}

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe("the support report", () => {
  it("gathers a member's files, packs them with a summary, and leaves no secret in any file", () => {
    const state = path.join(directory, "state");
    mkdirSync(path.join(state, "pe"), { recursive: true });
    writeFileSync(path.join(state, "fence-history.json"), JSON.stringify([{ target: "n2", action: "reboot", state: "done" }]));
    writeFileSync(path.join(state, "pe", "pe-warn-0.json.gz"), gzipSync(JSON.stringify({ format: "edgeha-scheduler-input", version: 1, transition: 1, cib: cib(), graph: { actions: [], operations: [] } })));
    const part = collectLocalPart({
      node: "n1", stateDir: state, fromSeconds: Date.parse("2026-01-01T00:00:00Z") / 1000, cib: cib(),
      logLines: [JSON.stringify({ time: "2026-12-06T09:00:00.000Z", msg: "start vip rc=0" }), JSON.stringify({ time: "2020-01-01T00:00:00.000Z", msg: "too old" }), JSON.stringify({ time: "2026-12-06T09:00:01.000Z", msg: `fencing with passwd=${SCRIPT_OUTPUT} and password: ${PASSWORD}` })],
      status: { node: { name: "n1" }, note: `key ${PASSWORD}` }, versions: { edgeha: "0.1.0" }, runtimeSecrets: [SCRIPT_OUTPUT],
    });
    expect(part.files.map((file) => file.name).sort()).toEqual(["agent.log", "cib.json", "fence-history.json", "pe/pe-warn-0.json.gz", "status.json", "versions.txt"]);
    const bundle = packReport({ cluster: "pair", createdSeconds: 1_800_000_000, fromSeconds: 1_700_000_000, parts: [part], unreachable: [{ node: "n2", reason: "not a member of this partition" }] });
    const output = path.join(directory, "out");
    mkdirSync(output);
    writeFileSync(path.join(directory, "report.tar.gz"), bundle);
    execFileSync("tar", ["-xzf", path.join(directory, "report.tar.gz"), "-C", output]);
    const all = files(output);
    const summary = readFileSync(all.find((file) => file.endsWith("summary.txt"))!, "utf8");
    expect(summary).toContain("members that answered: n1");
    expect(summary).toContain("members that could not be reached: n2 (not a member of this partition)");
    const operations = readFileSync(all.find((file) => file.endsWith("agent.log"))!, "utf8");
    expect(operations).toContain("start vip");
    expect(operations).not.toContain("too old");
    for (const file of all) {
      const raw = readFileSync(file);
      const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
      expect(text, file).not.toContain(PASSWORD);
      expect(text, file).not.toContain(SCRIPT_OUTPUT);
    }
    expect(readFileSync(all.find((file) => file.endsWith("cib.json"))!, "utf8")).toContain('"password": "********"');
  });

  it("blanks NAME=VALUE secrets it was not told about", () => {
    expect(redactText("ipmitool -P x passwd=hunter22 user=admin", [])).toBe("ipmitool -P x passwd=******** user=admin");
    expect(redactText('{"password":"abc123"}', [])).toBe('{"password":"********"}');
  });
});
