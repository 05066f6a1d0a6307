// Stonith resources whose type is a fence-agents program: the fencer runs the program
// through the stdin protocol, a start checks that it exists and answers metadata, and the
// recurring monitor runs the device's monitor within pcmk_monitor_timeout. The programs
// here are small sh fence agents of our own (the real fence_dummy and fence_ipmilan run in
// test/integration/node/cluster-fence-agents.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Primitive } from "../../../src/cib/index";
import { deviceFromPrimitive, runDeviceResourceAction, runDriverAction } from "../../../src/fencer/index";

let dir = "";
let bin = "";
const savedPath = process.env.PATH;

const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_toyfield" shortdesc="Toy agent">
<longdesc>Power state in a file.</longdesc>
<parameters>
  <parameter name="mode" unique="0" required="0"><getopt mixed="--mode=[mode]" /><content type="string" /><shortdesc lang="en">How the monitor behaves</shortdesc></parameter>
</parameters>
<actions><action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="monitor"/><action name="metadata"/></actions>
</resource-agent>`;

function agentScript(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\nD=${dir}\nwhile IFS='=' read -r k v; do eval "opt_$k=\\$v" 2>/dev/null; done\necho "$opt_action \${opt_plug:-}" >> $D/${name}.calls\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "eh-devres-"));
  bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(dir, "metadata.xml"), METADATA);
  agentScript("fence_toyfield", `case "$opt_action" in
  metadata) cat $D/metadata.xml; exit 0;;
  monitor) case "$opt_mode" in broken) echo "Failed: Unable to connect to the device" >&2; exit 1;; hang) sleep 30;; esac; exit 0;;
  off|on|reboot) echo "Success: Powered $opt_action"; exit 0;;
  status) exit 0;;
esac
exit 1`);
  agentScript("fence_nometadata", `echo "Traceback: no module named fencing" >&2; exit 1`);
  // Named like a built-in driver: meta external=true runs this program instead of the built-in.
  agentScript("fence_ipmilan", `case "$opt_action" in metadata) cat $D/metadata.xml; exit 0;; off) echo "Success: Powered OFF"; exit 0;; esac; exit 1`);
  process.env.PATH = `${bin}:${savedPath ?? ""}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

function stonith(id: string, type: string, values: Record<string, string> = {}, meta: Record<string, string> = {}): Primitive {
  return {
    kind: "primitive", id, class: "stonith", type, extra: {},
    instance: [{ id: `${id}-i`, values: { pcmk_host_list: "node2", ...values } }],
    meta: Object.keys(meta).length > 0 ? [{ id: `${id}-m`, values: meta }] : [],
    operations: [],
  };
}

function calls(program: string): string[] {
  try {
    return readFileSync(join(dir, `${program}.calls`), "utf8").trim().split("\n");
  } catch {
    return [];
  }
}

describe("fence-agents programs in the fencer", () => {
  it("fences through a fence_* program that is not built in, handing it the plug on stdin", async () => {
    const device = deviceFromPrimitive(stonith("f1", "fence_toyfield"));
    const result = await runDriverAction(device, "off", "node2", 10_000, "node1");
    expect(result).toMatchObject({ ok: true });
    expect(calls("fence_toyfield")).toContain("off node2");
  });

  it("a device whose program is missing fails every fence with the reason, not an unknown-driver error", async () => {
    const device = deviceFromPrimitive(stonith("f2", "fence_absentfield"));
    const result = await runDriverAction(device, "off", "node2", 10_000, "node1");
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/fence agent fence_absentfield is not installed: not found in .*\/usr\/sbin.*Debian package fence-agents/);
  });

  it("meta external=true runs the program of a built-in driver's name instead of the built-in", async () => {
    const device = deviceFromPrimitive(stonith("f3", "fence_ipmilan", {}, { external: "true" }));
    const result = await runDriverAction(device, "off", "node2", 10_000, "node1");
    expect(result).toMatchObject({ ok: true, message: "Powered OFF" });
    expect(calls("fence_ipmilan")).toContain("off node2");
  });
});

describe("starting a stonith resource", () => {
  it("succeeds when the program exists and answers metadata", async () => {
    const outcome = await runDeviceResourceAction(stonith("f4", "fence_toyfield"), "start", 5000, "node1");
    expect(outcome).toMatchObject({ rc: 0 });
  });

  it("fails as not installed (rc 5) when the program does not exist, naming it", async () => {
    const outcome = await runDeviceResourceAction(stonith("f5", "fence_absentfield"), "start", 5000, "node1");
    expect(outcome.rc).toBe(5);
    expect(outcome.reason).toMatch(/^fence device f5: fence agent fence_absentfield is not installed/);
  });

  it("fails as not installed when the program does not answer metadata, quoting its error", async () => {
    const outcome = await runDeviceResourceAction(stonith("f6", "fence_nometadata"), "start", 5000, "node1");
    expect(outcome.rc).toBe(5);
    expect(outcome.reason).toMatch(/action=metadata exited 1: Traceback: no module named fencing/);
  });

  it("fails as not configured (rc 6) on a bad pcmk_ parameter", async () => {
    const outcome = await runDeviceResourceAction(stonith("f7", "fence_toyfield", { pcmk_host_check: "sometimes" }), "start", 5000, "node1");
    expect(outcome.rc).toBe(6);
    expect(outcome.reason).toMatch(/pcmk_host_check "sometimes"/);
  });
});

describe("monitoring a stonith resource", () => {
  it("runs the device's monitor action and passes when it does", async () => {
    const before = calls("fence_toyfield").filter((line) => line.startsWith("monitor")).length;
    const outcome = await runDeviceResourceAction(stonith("f8", "fence_toyfield"), "monitor", 5000, "node1");
    expect(outcome).toMatchObject({ rc: 0 });
    expect(calls("fence_toyfield").filter((line) => line.startsWith("monitor")).length).toBe(before + 1);
  });

  it("a device that cannot be reached fails its monitor with the device's message", async () => {
    const outcome = await runDeviceResourceAction(stonith("f9", "fence_toyfield", { mode: "broken" }), "monitor", 5000, "node1");
    expect(outcome.rc).toBe(1);
    expect(outcome.reason).toMatch(/fence device f9 monitor failed: .*Unable to connect to the device/);
  });

  it("pcmk_monitor_timeout bounds the monitor (a hanging device fails, timed out)", async () => {
    const started = Date.now();
    const outcome = await runDeviceResourceAction(stonith("f10", "fence_toyfield", { mode: "hang", pcmk_monitor_timeout: "1s" }), "monitor", 20_000, "node1");
    expect(outcome).toMatchObject({ rc: 1, timedOut: true });
    expect(outcome.reason).toMatch(/did not finish within its time limit/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("pcmk_monitor_action names the action the monitor runs", async () => {
    const outcome = await runDeviceResourceAction(stonith("f11", "fence_toyfield", { pcmk_monitor_action: "status" }), "monitor", 5000, "node1");
    expect(outcome.rc).toBe(0);
    expect(calls("fence_toyfield").at(-1)).toBe("status");
  });
});
