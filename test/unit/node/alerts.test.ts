import { describe, expect, it } from "vitest";
import { importCibXml, type Alert } from "../../../src/cib";
import { alertRuns, formatTimestamp, type AlertEvent } from "../../../src/node/alert-format";
import { AlertRunner, QUEUED_PER_RECIPIENT_MAX } from "../../../src/node/alerts";
import { silentLogger } from "../../../src/common/log";
import type { ProcessResult } from "../../../src/executor";

function alerts(xml: string): Alert[] {
  return importCibXml(`<cib><configuration><alerts>${xml}</alerts></configuration></cib>`).cib.alerts ?? [];
}

const AT = Date.UTC(2026, 11, 6, 9, 5, 7) * 1000 + 123_456;
const resourceEvent: AlertEvent = { kind: "resource", node: "alpha", resource: "vip", task: "start", intervalMs: 0, rc: 0, targetRc: 0, status: 0, execTimeMs: 41 };

describe("alert runs", () => {
  it("gives each recipient Pacemaker's CRM_alert_* environment with the alert's instance attributes", () => {
    const runs = alertRuns(alerts(`<alert id="a" path="/bin/true"><instance_attributes id="i"><nvpair id="n" name="trap_node_states" value="all"/></instance_attributes><recipient id="r1" value="/tmp/one"/><recipient id="r2" value="/tmp/two"/></alert>`), resourceEvent, 7, AT);
    expect(runs.map((run) => run.env.CRM_alert_recipient)).toEqual(["/tmp/one", "/tmp/two"]);
    expect(runs[0]!.env).toMatchObject({
      CRM_alert_kind: "resource", CRM_alert_node: "alpha", CRM_alert_rsc: "vip", CRM_alert_task: "start", CRM_alert_interval: "0", CRM_alert_rc: "0",
      CRM_alert_target_rc: "0", CRM_alert_status: "0", CRM_alert_desc: "OK", CRM_alert_exec_time: "41", CRM_alert_node_sequence: "7",
      CRM_alert_timestamp_epoch: String(Math.floor(AT / 1e6)), CRM_alert_timestamp_usec: "123456", trap_node_states: "all",
    });
    expect(runs[0]!.env.CRM_alert_version).toMatch(/^\d+\.\d+/);
    expect(runs[0]!.timeoutMs).toBe(30_000);
  });

  it("describes node, fencing and attribute events and a failed or timed-out operation", () => {
    const agent = alerts(`<alert id="a" path="/bin/true"/>`);
    expect(alertRuns(agent, { kind: "node", node: "beta", nodeId: 2, state: "lost" }, 1, AT)[0]!.env).toMatchObject({ CRM_alert_kind: "node", CRM_alert_node: "beta", CRM_alert_nodeid: "2", CRM_alert_desc: "lost", CRM_alert_recipient: "" });
    expect(alertRuns(agent, { kind: "fencing", target: "beta", task: "reboot", rc: 0, desc: "Operation reboot of beta by alpha: OK" }, 1, AT)[0]!.env).toMatchObject({ CRM_alert_node: "beta", CRM_alert_task: "reboot", CRM_alert_rc: "0" });
    expect(alertRuns(agent, { kind: "attribute", node: "alpha", nodeId: 1, name: "standby", value: "on" }, 1, AT)[0]!.env).toMatchObject({ CRM_alert_attribute_name: "standby", CRM_alert_attribute_value: "on" });
    expect(alertRuns(agent, { ...resourceEvent, task: "monitor", intervalMs: 10_000, rc: 7 }, 1, AT)[0]!.env.CRM_alert_desc).toBe("Not running");
    expect(alertRuns(agent, { ...resourceEvent, status: 2, rc: 1 }, 1, AT)[0]!.env.CRM_alert_desc).toBe("Timed Out");
  });

  it("follows select, enabled and a probe that found what it expected", () => {
    const agent = alerts(`<alert id="a" path="/bin/true"><select><select_fencing/><select_attributes><attribute id="x" name="standby"/></select_attributes></select></alert><alert id="off" path="/bin/true"><meta_attributes id="m"><nvpair id="e" name="enabled" value="false"/></meta_attributes></alert>`);
    expect(alertRuns(agent, resourceEvent, 1, AT)).toEqual([]);
    expect(alertRuns(agent, { kind: "attribute", node: "alpha", nodeId: 1, name: "cpu-load", value: "1" }, 1, AT)).toEqual([]);
    const standby = alertRuns(agent, { kind: "attribute", node: "alpha", nodeId: 1, name: "standby", value: "on" }, 1, AT);
    expect(standby.map((run) => run.alertId)).toEqual(["a"]);
    expect(standby[0]!.env).toMatchObject({ CRM_alert_select_kind: "fencing,attribute", CRM_alert_select_attribute_name: "standby" });
    const all = alerts(`<alert id="a" path="/bin/true"/>`);
    expect(alertRuns(all, { ...resourceEvent, task: "monitor", intervalMs: 0, rc: 7, targetRc: 7 }, 1, AT)).toEqual([]);
    expect(alertRuns(all, { ...resourceEvent, task: "monitor", intervalMs: 0, rc: 0, targetRc: 7 }, 1, AT)).toHaveLength(1);
  });

  it("formats timestamps with strftime and %N, the recipient's format over the alert's, and takes the timeout", () => {
    process.env.TZ = "UTC";
    expect(formatTimestamp("%H:%M:%S.%06N", AT)).toBe("09:05:07.123456");
    expect(formatTimestamp("%Y-%m-%d,%H:%M:%S.%01N", AT)).toBe("2026-12-06,09:05:07.1");
    expect(formatTimestamp("%3N %% %s", AT)).toBe(`123 % ${Math.floor(AT / 1e6)}`);
    const agent = alerts(`<alert id="a" path="/bin/true"><meta_attributes id="m"><nvpair id="t" name="timeout" value="5s"/><nvpair id="f" name="timestamp-format" value="%H"/></meta_attributes><recipient id="r" value="x"><meta_attributes id="rm"><nvpair id="rf" name="timestamp-format" value="%M"/></meta_attributes></recipient></alert>`);
    const run = alertRuns(agent, resourceEvent, 1, AT)[0]!;
    expect(run.env.CRM_alert_timestamp).toBe("05");
    expect(run.timeoutMs).toBe(5000);
  });
});

function result(exitCode = 0): ProcessResult {
  return { exitCode, signal: undefined, timedOut: false, stdout: "", stderr: "", runTimeMs: 1 };
}

describe("the alert runner", () => {
  it("runs each recipient's alerts one at a time in event order, without blocking the caller", async () => {
    const started: string[] = [];
    const release: Array<() => void> = [];
    const runner = new AlertRunner(silentLogger(), (_file, env) => {
      started.push(`${env.CRM_alert_recipient}:${env.CRM_alert_node_sequence}`);
      return new Promise((resolve) => release.push(() => resolve(result())));
    });
    runner.configure(alerts(`<alert id="a" path="/bin/true"><recipient id="r1" value="one"/><recipient id="r2" value="two"/></alert>`));
    for (let index = 0; index < 3; index++) runner.emit({ kind: "node", node: "beta", nodeId: 2, state: index % 2 ? "member" : "lost" });
    expect(started).toEqual(["one:1", "two:1"]);
    while (release.length > 0) {
      release.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await runner.drain(1000);
    expect(started.filter((run) => run.startsWith("one"))).toEqual(["one:1", "one:2", "one:3"]);
    expect(started.filter((run) => run.startsWith("two"))).toEqual(["two:1", "two:2", "two:3"]);
    expect(runner.counters).toEqual({ sent: 6, failed: 0, dropped: 0 });
  });

  it("drops the oldest waiting alert of a recipient that falls behind, and counts failures", async () => {
    let finish: (() => void) | undefined;
    const runner = new AlertRunner(silentLogger(), (_file, env) => new Promise((resolve) => { finish = () => resolve(result(env.CRM_alert_node_sequence === "1" ? 1 : 0)); }));
    runner.configure(alerts(`<alert id="a" path="/bin/true"><recipient id="r" value="one"/></alert>`));
    for (let index = 0; index < QUEUED_PER_RECIPIENT_MAX + 5; index++) runner.emit({ kind: "node", node: "beta", nodeId: 2, state: "lost" });
    expect(runner.counters.dropped).toBe(4);
    for (let index = 0; index < QUEUED_PER_RECIPIENT_MAX + 1 && finish; index++) {
      const current = finish;
      finish = undefined;
      current();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await runner.drain(1000);
    expect(runner.counters).toEqual({ sent: QUEUED_PER_RECIPIENT_MAX, failed: 1, dropped: 4 });
  });
});
