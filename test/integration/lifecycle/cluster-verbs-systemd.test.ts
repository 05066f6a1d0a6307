// `cluster enable|start|stop|disable` on this node against a real systemd (not a stand-in):
// systemd runs as PID 1 of namespaces the test creates (test/support/systemd.ts) with an
// edgeha.service that runs the build under test for a one-node cluster. enable and disable
// change what systemd starts at boot; start starts the unit and the agent answers; stop makes
// the agent leave and exit 0, after which the unit stays stopped (Restart=on-failure does not
// bring it back, and it is not "failed"). Takes about 15 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { bundleCommand, canUseNamespaces, cliBundle, hasCommand } from "../../support/environment";
import { SYSTEMD, startSystemd, type SystemdNamespace } from "../../support/systemd";

const missing = !canUseNamespaces() ? "(needs root and namespaces)" : !existsSync(SYSTEMD) || !hasCommand("systemctl") ? "(needs systemd)" : "";
const socket = "/run/eh/edgeha.sock";
// Type=simple: the agent's READY=1 (Type=notify, as the packaged unit) is not what this test is about.
const unit = [
  "[Unit]", "DefaultDependencies=no",
  "[Service]", `ExecStart=${bundleCommand.join(" ")} agent --config /run/eh/edgeha.yaml --node solo`, "Restart=on-failure", "RestartSec=1s", "TimeoutStopSec=60",
  "[Install]", "WantedBy=edgeha-test-idle.target", "",
].join("\n");

describe.skipIf(missing !== "")(`cluster verbs on this node against a real systemd ${missing}`, () => { // skipped: without root and namespaces or without systemd (the reason is in the title).
  let systemd: SystemdNamespace;
  beforeAll(async () => {
    systemd = await startSystemd({ "edgeha.service": unit }, 20_000, [dirname(dirname(cliBundle))]);
    systemd.exec(["ip", "link", "set", "lo", "up"]);
    systemd.exec(["sh", "-c", "mkdir -p /run/eh && head -c 64 /dev/urandom > /run/eh/authkey && chmod 600 /run/eh/authkey && cat > /run/eh/edgeha.yaml"], {
      input: ["cluster_name: ehsolo", "transport: { port: 34299 }", `paths: { authkey: /run/eh/authkey, state_dir: /run/eh/state, socket: ${socket} }`, "nodes:", "  - { name: solo, id: 1, links: [127.0.0.1] }", ""].join("\n"),
    });
  }, 30_000);
  afterAll(() => systemd?.stop());

  const edgeha = (...args: string[]) => systemd.exec([...bundleCommand, ...args], { timeoutMs: 90_000 });
  const systemctl = (...args: string[]) => systemd.exec(["systemctl", ...args]).stdout.trim();
  const answers = () => edgeha("status", "--json", "--socket", socket).status === 0;

  it("enable, start, stop and disable the node's service", async () => {
    const enabled = edgeha("cluster", "enable");
    expect(enabled.stdout).toMatch(/systemctl enable edgeha\.service: done/);
    expect(enabled.status).toBe(0);
    expect(systemctl("is-enabled", "edgeha.service")).toBe("enabled");

    const started = edgeha("cluster", "start");
    expect(started.status).toBe(0);
    expect(systemctl("is-active", "edgeha.service")).toBe("active");
    const deadline = Date.now() + 20_000;
    while (!answers() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(answers()).toBe(true);
    // The agent answers before it has elected itself DC: wait (bounded) for the election.
    let status = edgeha("cluster", "status", "--all", "--socket", socket);
    while (!/DC solo/.test(status.stdout) && Date.now() < deadline + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = edgeha("cluster", "status", "--all", "--socket", socket);
    }
    expect(status.stdout).toMatch(/\* solo: DC solo, quorate/);
    expect(status.stdout).toMatch(/Every node sees the same cluster\./);

    const stopped = edgeha("cluster", "stop", "--socket", socket, "--wait", "60");
    expect(stopped.stdout).toMatch(/solo is leaving/);
    expect(stopped.stdout).toMatch(/The agent has left the cluster and exited\./);
    expect(stopped.status).toBe(0);
    // A clean exit: the unit is stopped, not failed, and systemd does not start it again.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(systemctl("is-active", "edgeha.service")).toBe("inactive");
    expect(answers()).toBe(false);

    const disabled = edgeha("cluster", "disable");
    expect(disabled.status).toBe(0);
    expect(systemctl("is-enabled", "edgeha.service")).toBe("disabled");
  }, 120_000);
});
