// A member's report part travels in several messages of at most 4 MiB (issue 20: no single
// cluster message larger than that): a log ring larger than 4 MiB is cut into pieces, put back
// together exactly, and the bundle has no secret inside. Old askers get one message that says
// what was left out; broken sequences end the part with a problem instead of growing it.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { emptyCib, type Cib } from "../../../src/cib";
import { LogRing } from "../../../src/common/log-ring";
import { collectLocalPart, packReport, type ReportPart } from "../../../src/node/report";
import { parseReportMessage, reportPartMessages, ReportAssembler, REPORT_MESSAGE_BYTES_MAX, type ReportMessage } from "../../../src/node/report-protocol";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-report-pieces-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const PASSWORD = "pieces-Ipmi-Pw-42";
const SCRIPT_OUTPUT = "passwd-script-says-91";

function cib(): Cib {
  return {
    ...emptyCib(),
    resources: [{ kind: "primitive", id: "fence-n2", class: "stonith", type: "ipmilan", extra: {}, meta: [], operations: [], instance: [{ id: "fence-n2-params", values: { ip: "10.0.0.2", username: "admin", password: PASSWORD, pcmk_host_list: "n2" } }] }],
  };
}

/** Every message as the wire carries it: parsed and checked as the asking agent does. */
function parsed(messages: Buffer[]): Array<Extract<ReportMessage, { t: "report-part" }>> {
  return messages.map((bytes) => {
    expect(bytes.length).toBeLessThanOrEqual(REPORT_MESSAGE_BYTES_MAX);
    const message = parseReportMessage(JSON.parse(bytes.toString("utf8")));
    if (typeof message !== "object" || message.t !== "report-part") throw new Error(`not a report part: ${String(message)}`);
    return message;
  });
}

function assemble(messages: Buffer[], node = "n2"): { part: ReportPart; completeAfter: number } {
  const assembler = new ReportAssembler();
  let completeAfter = -1;
  for (const [index, message] of parsed(messages).entries()) if (assembler.take(message) && completeAfter < 0) completeAfter = index;
  return { part: assembler.part(node), completeAfter };
}

describe("report parts in pieces", () => {
  it("cuts a part with a log ring larger than 4 MiB into messages of at most 4 MiB and puts it back together, with no secret inside", () => {
    const ring = new LogRing(200_000, 6 * 1024 * 1024);
    for (let line = 0; line < 40_000; line++) {
      // pino's lines: quotes and backslashes that JSON escapes again inside a message.
      ring.write(`${JSON.stringify({ level: 30, time: "2026-12-06T09:00:00.000Z", msg: line % 1000 === 0 ? `fencing with passwd=${SCRIPT_OUTPUT} and password: ${PASSWORD}` : `monitor of "vip" ok \\ line ${line} ${"x".repeat(100)}` })}\n`);
    }
    const logBytes = ring.snapshot().join("\n").length;
    expect(logBytes).toBeGreaterThan(4 * 1024 * 1024);
    const state = path.join(directory, "state");
    mkdirSync(state, { recursive: true });
    writeFileSync(path.join(state, "fence-history.json"), JSON.stringify([{ target: "n1", action: "reboot", state: "done" }]));
    const part = collectLocalPart({
      node: "n2", stateDir: state, fromSeconds: Date.parse("2026-01-01T00:00:00Z") / 1000, cib: cib(), logLines: ring.snapshot(),
      status: { node: { name: "n2" } }, versions: { edgeha: "0.1.0" }, runtimeSecrets: [SCRIPT_OUTPUT],
    });
    // As one message (what was sent before) it would be larger than 4 MiB.
    expect(Buffer.byteLength(JSON.stringify({ t: "report-part", requestId: 3, part }))).toBeGreaterThan(REPORT_MESSAGE_BYTES_MAX);
    const messages = reportPartMessages(3, part);
    expect(messages.length).toBeGreaterThan(1);
    const { part: together, completeAfter } = assemble(messages);
    expect(completeAfter).toBe(messages.length - 1);
    expect(together).toEqual(part);
    for (const bytes of messages) {
      expect(bytes.toString("utf8")).not.toContain(PASSWORD);
      expect(bytes.toString("utf8")).not.toContain(SCRIPT_OUTPUT);
    }
    // The bundle the asker packs: the whole log of the window, and no secret in any file.
    writeFileSync(path.join(directory, "report.tar.gz"), packReport({ cluster: "pair", createdSeconds: 1_800_000_000, fromSeconds: 1_700_000_000, parts: [together], unreachable: [] }));
    const output = path.join(directory, "out");
    mkdirSync(output);
    execFileSync("tar", ["-xzf", path.join(directory, "report.tar.gz"), "-C", output]);
    const files = readdirSync(output, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
    const log = readFileSync(files.find((file) => file.endsWith("n2/agent.log"))!, "utf8");
    expect(log.split("\n").filter(Boolean)).toHaveLength(ring.snapshot().length);
    expect(log).toContain(`passwd=********`);
    expect(log).toContain("monitor of \\\"vip\\\" ok \\\\ line 39999");
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toContain(PASSWORD);
      expect(text, file).not.toContain(SCRIPT_OUTPUT);
    }
  });

  it("stays under 4 MiB where JSON escapes every character, and keeps base64 pieces whole", () => {
    const binary = randomBytes(5 * 1024 * 1024);
    const part: ReportPart = {
      node: "n2", problems: ["older recorded inputs left out"],
      files: [{ name: "controls.txt", encoding: "utf8", content: "\u0001\u00e9".repeat(1024 * 1024) }, { name: "pe/input.json.gz", encoding: "base64", content: binary.toString("base64") }, { name: "empty.txt", encoding: "utf8", content: "" }],
    };
    const messages = reportPartMessages(9, part);
    const { part: together } = assemble(messages);
    expect(together).toEqual(part);
    expect(Buffer.from(together.files[1]!.content, "base64").equals(binary)).toBe(true);
  });

  it("sends an asker from before pieces one message that says what was left out", () => {
    const part: ReportPart = { node: "n2", problems: [], files: [{ name: "agent.log", encoding: "utf8", content: "y".repeat(9 * 1024 * 1024) }] };
    const messages = reportPartMessages(4, part, { single: true, asker: "n1" });
    expect(messages).toHaveLength(1);
    const [message] = parsed(messages);
    expect(message!.last).toBe(true);
    expect(message!.part.problems[0]).toMatch(/^\d+ bytes of this part were left out: n1 runs a build that takes one message/);
    // What such an asker reads: the message as one whole part (no index, no last).
    const legacy = JSON.parse(messages[0]!.toString("utf8")) as { index?: number; last?: boolean };
    delete legacy.index;
    delete legacy.last;
    expect(assemble([Buffer.from(JSON.stringify(legacy))]).completeAfter).toBe(0);
  });

  it("ends a part with a problem when the pieces come out of order or continue nothing, and rejects a message over 4 MiB", () => {
    const part: ReportPart = { node: "n2", problems: [], files: [{ name: "agent.log", encoding: "utf8", content: "z".repeat(9 * 1024 * 1024) }] };
    const messages = parsed(reportPartMessages(5, part));
    expect(messages.length).toBeGreaterThan(2);
    const skipped = new ReportAssembler();
    expect(skipped.take(messages[0]!)).toBe(false);
    expect(skipped.take(messages[2]!)).toBe(true);
    expect(skipped.part("n2").problems).toEqual([`part 2 arrived where 1 was due: the rest of this member's part is left out`]);
    const orphan = new ReportAssembler();
    expect(orphan.take({ ...messages[1]!, index: 0 })).toBe(true);
    expect(orphan.part("n2").problems[0]).toMatch(/continues no file/);
    const unfinished = new ReportAssembler();
    unfinished.take(messages[0]!);
    expect(unfinished.part("n2").problems).toEqual(["only 1 message(s) of this member's part arrived: the rest is left out"]);
    expect(parseReportMessage({ t: "report-part", requestId: 1, index: 0, last: true, part: { node: "n2", problems: [], files: [{ name: "big", encoding: "utf8", content: "a".repeat(REPORT_MESSAGE_BYTES_MAX + 1) }] } })).toMatch(/at most 4194304 bytes/);
    expect(parseReportMessage({ t: "report-part", requestId: 1, index: -1, last: true, part: { node: "n2", problems: [], files: [] } })).toMatch(/index must be/);
  });
});
