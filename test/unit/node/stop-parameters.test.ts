// A stop runs with the parameters the resource was started with here, not the configuration's
// new ones (issue 18): Pacemaker's controller keeps the instance parameters of the last start
// or probe and stops with them (controld_execd.c, stop_params), so a restart after a changed
// `ip` (or state-file path) stops the instance that runs instead of leaving it behind.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalResources } from "../../../src/node/local-resources";
import { parameterDigest } from "../../../src/scheduler/digest";
import { cibOf, fakeAgents, ipPrimitive, probed, quietLogger as quiet } from "../../support/local-resources";

let stateDir: string;
beforeEach(() => { stateDir = mkdtempSync(join(tmpdir(), "edgeha-stop-params-")); });
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function world(startedFile?: string, initiallyRunning: string[] = []) {
  const { running, calls, runner } = fakeAgents(initiallyRunning);
  const resources = new LocalResources("n1", runner, quiet, () => 1000, startedFile === undefined ? {} : { startedFile });
  return { running, calls, resources };
}

describe("a stop after a parameter change", () => {
  it("runs with the parameters of the start, then the new start's parameters become the stop's", async () => {
    const { calls, resources } = world();
    resources.configure(cibOf(2, ipPrimitive("vip", "127.0.0.10")));
    await probed(resources, "0.2.0");
    expect(await resources.operate("vip", "start", undefined, undefined, undefined, { ip: "127.0.0.10" })).toEqual({ ok: true });
    // The configuration changes ip; this node probes vip as it runs (its start's address) and finds it running.
    resources.configure(cibOf(3, ipPrimitive("vip", "127.0.0.11")));
    await probed(resources, "0.3.0");
    expect(calls.at(-1)).toBe("monitor vip ip=127.0.0.10");
    // The DC restarts it: its stop, sent with the new parameters, stops the address that runs.
    expect(await resources.operate("vip", "stop", undefined, undefined, undefined, { ip: "127.0.0.11" })).toEqual({ ok: true });
    expect(calls.at(-1)).toBe("stop vip ip=127.0.0.10");
    expect(await resources.operate("vip", "start", undefined, undefined, undefined, { ip: "127.0.0.11" })).toEqual({ ok: true });
    expect(await resources.operate("vip", "stop", undefined, undefined, undefined, { ip: "127.0.0.11" })).toEqual({ ok: true });
    expect(calls.slice(-2)).toEqual(["start vip ip=127.0.0.11", "stop vip ip=127.0.0.11"]);
    resources.close();
  });

  it("after a restart of the agent too (the definition it ran with is kept on disk), whose probe keeps the start's digest", async () => {
    const file = join(stateDir, "started.json");
    const first = world(file);
    first.resources.configure(cibOf(2, ipPrimitive("vip", "127.0.0.10")));
    await probed(first.resources, "0.2.0");
    expect(await first.resources.operate("vip", "start", undefined, undefined, undefined, { ip: "127.0.0.10" })).toEqual({ ok: true });
    first.resources.close();
    // The next agent process starts with the changed configuration: its first probe finds vip running.
    const second = world(file, ["vip"]);
    second.resources.configure(cibOf(3, ipPrimitive("vip", "127.0.0.11")));
    await probed(second.resources, "0.3.0");
    // Its record keeps the digest of what the previous process started, so the DC sees the change.
    expect(second.resources.report().resources.vip?.operations.at(-1)?.attributes["op-digest"]).toBe(parameterDigest({ ip: "127.0.0.10" }));
    expect(await second.resources.operate("vip", "stop", undefined, undefined, undefined, { ip: "127.0.0.11" })).toEqual({ ok: true });
    expect(second.calls.at(-1)).toBe("stop vip ip=127.0.0.10");
    second.resources.close();
  });
});
