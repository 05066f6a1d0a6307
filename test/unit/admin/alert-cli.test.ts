// pcs's alert verbs on a CIB file (-f): create, update, delete, recipient add/update/remove
// and config, in Pacemaker XML (written back as XML with <alerts>) and the native form.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInProcess } from "../../support/cli";
import { importCibXml } from "../../../src/cib";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-alert-cli-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const run = (...argv: string[]) => runInProcess(argv);
const SAMPLE = "/usr/share/pacemaker/alerts/alert_file.sh.sample";

function xmlFile(): string {
  const file = path.join(directory, `cib-${counter++}.xml`);
  writeFileSync(file, `<cib admin_epoch="0" epoch="3" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`);
  return file;
}

describe("alert commands on a CIB file", () => {
  it("creates an alert with options and meta, adds recipients, and writes <alerts> back to the XML", async () => {
    const file = xmlFile();
    expect(await run("alert", "create", `path=${SAMPLE}`, "id=to-file", "description=cluster log", "options", "debug_exec_order=true", "meta", "timeout=10s", "timestamp-format=%Y-%m-%d %H:%M:%S.%03N", "-f", file)).toMatchObject({ status: 0, out: "created alert to-file (CIB version 0.4.0)\n" });
    expect((await run("alert", "recipient", "add", "to-file", "value=/var/log/one.log", "-f", file)).status).toBe(0);
    expect((await run("alert", "recipient", "add", "to-file", "value=/var/log/two.log", "id=second", "options", "extra=1", "-f", file)).status).toBe(0);
    const alerts = importCibXml(readFileSync(file, "utf8")).cib.alerts!;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: "to-file", path: SAMPLE, description: "cluster log" });
    expect(alerts[0]!.instance[0]!.values).toEqual({ debug_exec_order: "true" });
    expect(alerts[0]!.meta[0]!.values).toEqual({ timeout: "10s", "timestamp-format": "%Y-%m-%d %H:%M:%S.%03N" });
    expect(alerts[0]!.recipients.map((recipient) => [recipient.id, recipient.value])).toEqual([["to-file-recipient", "/var/log/one.log"], ["second", "/var/log/two.log"]]);
    const shown = await run("alert", "config", "-f", file);
    expect(shown.out).toContain("Alert: to-file (path=/usr/share/pacemaker/alerts/alert_file.sh.sample)");
    expect(shown.out).toContain("Recipient: second (value=/var/log/two.log)");
  });

  it("updates and removes options, recipients and alerts", async () => {
    const file = xmlFile();
    await run("alert", "create", `path=${SAMPLE}`, "options", "debug_exec_order=true", "-f", file);
    await run("alert", "recipient", "add", "alert", "value=/tmp/a", "-f", file);
    expect((await run("alert", "update", "alert", "options", "debug_exec_order=", "meta", "timeout=5s", "-f", file)).status).toBe(0);
    expect((await run("alert", "recipient", "update", "alert-recipient", "value=/tmp/b", "-f", file)).status).toBe(0);
    let alert = importCibXml(readFileSync(file, "utf8")).cib.alerts![0]!;
    expect(alert.instance.flatMap((set) => Object.keys(set.values))).toEqual([]);
    expect(alert.meta[0]!.values).toEqual({ timeout: "5s" });
    expect(alert.recipients[0]!.value).toBe("/tmp/b");
    expect((await run("alert", "recipient", "remove", "alert-recipient", "-f", file)).status).toBe(0);
    alert = importCibXml(readFileSync(file, "utf8")).cib.alerts![0]!;
    expect(alert.recipients).toEqual([]);
    expect((await run("alert", "delete", "alert", "-f", file)).status).toBe(0);
    expect(importCibXml(readFileSync(file, "utf8")).cib.alerts ?? []).toEqual([]);
  });

  it("names what is wrong and changes nothing", async () => {
    const file = xmlFile();
    await run("alert", "create", `path=${SAMPLE}`, "id=to-file", "-f", file);
    const before = readFileSync(file, "utf8");
    const unknown = await run("alert", "recipient", "add", "to-fil", "value=/tmp/x", "-f", file, "--json");
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.out).error).toMatchObject({ code: "E_ADMIN_UNKNOWN_ALERT", message: expect.stringContaining("did you mean 'to-file'") });
    expect((await run("alert", "create", "path=relative.sh", "-f", file)).err).toContain("must be absolute");
    expect((await run("alert", "create", `path=${SAMPLE}`, "pth=x", "-f", file)).err).toContain("unknown field 'pth'");
    expect((await run("alert", "update", "to-file", "meta", "timout=5s", "-f", file)).err).toContain("did you mean 'timeout'");
    expect((await run("alert", "create", `path=${SAMPLE}`, "id=to-file", "-f", file)).err).toContain("E_ADMIN_EXISTS");
    await run("alert", "recipient", "add", "to-file", "value=/tmp/x", "-f", file);
    expect((await run("alert", "recipient", "add", "to-file", "value=/tmp/x", "-f", file)).err).toContain("--force");
    expect(readFileSync(file, "utf8")).not.toBe(before);
  });
});
