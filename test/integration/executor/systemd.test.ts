// The systemd resource class against a real systemd (not a scripted systemctl): systemd runs
// as PID 1 of namespaces the test creates (test/support/systemd.ts), and `edgeha resource
// debug-start|monitor|stop` runs inside them. start waits for the job (a oneshot that takes a
// second is done when start returns), monitor follows the unit's state (active, inactive,
// failed), a failing unit and a missing one give the right OCF codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCommand, canUseNamespaces, cliBundle, hasCommand } from "../../support/environment";
import { SYSTEMD, startSystemd, type SystemdNamespace } from "../../support/systemd";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// Needs root (namespaces), systemd's binary (Debian package systemd) and cgroup2 in the kernel.
const missing = !canUseNamespaces() ? "(needs root and namespaces)" : !existsSync(SYSTEMD) || !hasCommand("systemctl") ? "(needs systemd)" : "";

const alone = "[Unit]\nDefaultDependencies=no\n";
const units = {
  "eh-sleeper.service": `${alone}[Service]\nExecStart=/bin/sleep 600\n`,
  "eh-slow.service": `${alone}[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'sleep 1; touch /run/eh-slow-done'\nExecStop=/bin/rm -f /run/eh-slow-done\n`,
  "eh-broken.service": `${alone}[Service]\nType=oneshot\nExecStart=/bin/false\n`,
};

describe.skipIf(missing !== "")(`systemd resources against a real systemd ${missing}`, () => { // skipped: without root and namespaces or without systemd (the reason is in the title).
  let systemd: SystemdNamespace;
  // Inside the namespaces (their own /run).
  const cib = "/run/eh-systemd-cib.xml";
  beforeAll(async () => {
    // The checkout may live under /tmp (CI clones there): keep it visible for the CLI run inside.
    systemd = await startSystemd(units, 20_000, [dirname(dirname(cliBundle))]);
    systemd.exec(["sh", "-c", `cat > ${cib}`], { input: `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
      <primitive id="sleeper" class="systemd" type="eh-sleeper"/><primitive id="slow" class="systemd" type="eh-slow.service"/>
      <primitive id="broken" class="systemd" type="eh-broken"/><primitive id="ghost" class="systemd" type="eh-no-such-unit"/>
    </resources><constraints/></configuration><status/></cib>` });
  }, 30_000);
  afterAll(() => { systemd?.stop(); rmSync(canaryDirectory, { recursive: true, force: true }); });
  // The host's /tmp must come out untouched (a booting systemd would empty it).
  const canaryDirectory = mkdtempSync(join(tmpdir(), "ehsd-canary-"));
  const canary = join(canaryDirectory, "canary");
  writeFileSync(canary, "still here\n");

  const debug = (action: "start" | "stop" | "monitor", resource: string) => {
    const result = systemd.exec([...bundleCommand, "resource", `debug-${action}`, resource, "--cib", cib, "--json"]);
    return JSON.parse(result.stdout) as { rc: number; result: string; reason?: string };
  };
  const state = (unit: string) => systemd.exec(["systemctl", "is-active", unit]).stdout.trim();

  it("start, monitor and stop a service; monitor follows what systemd says", () => {
    expect(debug("monitor", "sleeper").rc).toBe(7);
    expect(debug("start", "sleeper").rc).toBe(0);
    expect(state("eh-sleeper.service")).toBe("active");
    expect(debug("monitor", "sleeper").rc).toBe(0);
    // Stopped behind the executor's back: monitor reports "not running".
    systemd.exec(["systemctl", "stop", "eh-sleeper.service"]);
    expect(debug("monitor", "sleeper").rc).toBe(7);
    expect(debug("start", "sleeper").rc).toBe(0);
    expect(debug("stop", "sleeper").rc).toBe(0);
    expect(state("eh-sleeper.service")).toBe("inactive");
  }, 60_000);

  it("start returns when the job is done, not when it is queued", () => {
    expect(debug("start", "slow").rc).toBe(0);
    expect(systemd.exec(["test", "-e", "/run/eh-slow-done"]).status).toBe(0);
    expect(debug("monitor", "slow").rc).toBe(0);
    expect(debug("stop", "slow").rc).toBe(0);
    expect(systemd.exec(["test", "-e", "/run/eh-slow-done"]).status).toBe(1);
  }, 60_000);

  it("a unit that fails to start is an error, and monitor then reports it failed", () => {
    const started = debug("start", "broken");
    expect(started.rc).toBe(1);
    expect(state("eh-broken.service")).toBe("failed");
    const monitored = debug("monitor", "broken");
    expect(monitored.rc).toBe(1);
    expect(monitored.reason).toMatch(/failed state/);
  }, 60_000);

  it("a unit that does not exist is 'not installed' (rc 5)", () => {
    expect(debug("start", "ghost").rc).toBe(5);
  }, 60_000);

  it("leaves the host's /tmp alone", () => {
    expect(existsSync(canary)).toBe(true);
  });
});
