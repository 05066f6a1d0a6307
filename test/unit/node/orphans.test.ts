// Issue 15, defect 1: deleting a running resource must stop it, not fence its node. The
// executor stops a resource the configuration no longer holds (an orphan) with the
// definition it last ran with, as Pacemaker does from its operation history; it never
// starts one; it forgets an orphan once it is known stopped; a cleanup re-probes it.
//
// Scenario: "vip" (param ip=10.0.0.1) runs on n1; `resource delete vip` removes it from the
// configuration; the DC asks n1 to stop vip.
import { describe, expect, it } from "vitest";
import { LocalResources, type ActionRunner } from "../../../src/node/local-resources";
import { cibOf as cib, fakeAgents, ipPrimitive as primitive, probed, quietLogger as quiet } from "../../support/local-resources";

/**
 * n1's executor with "vip" (ip) configured and probed (version 0.2.0), over agents that keep
 * what runs and the parameters each action was called with (or over `runner`).
 */
async function vipConfigured(options: { running?: string[]; ip?: string; runner?: ActionRunner } = {}) {
  const agents = fakeAgents(options.running);
  const resources = new LocalResources("n1", options.runner ?? agents.runner, quiet, () => 1000);
  resources.configure(cib(2, primitive("vip", options.ip ?? "10.0.0.1")));
  await probed(resources, "0.2.0");
  return { running: agents.running, calls: agents.calls, resources };
}

/** `resource delete vip`: the configuration without it (version 0.3.0), probed. */
async function deleteVip(resources: LocalResources): Promise<void> {
  resources.configure(cib(3));
  await probed(resources, "0.3.0");
}

describe("orphans: resources deleted from the configuration", () => {
  it("a deleted resource that runs is stopped with the definition it was started with, then forgotten", async () => {
    const { running, calls, resources } = await vipConfigured();
    expect(await resources.operate("vip", "start")).toEqual({ ok: true });
    await deleteVip(resources);
    // Still reported, with its agent, so the DC knows to stop it.
    expect(resources.report().resources.vip).toMatchObject({ class: "ocf", provider: "test", type: "IP" });
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    expect(running.has("vip")).toBe(false);
    expect(calls.at(-1)).toBe("stop vip ip=10.0.0.1");
    expect(resources.report().resources.vip).toBeUndefined();
    expect(resources.report().failures).toEqual([]);
    resources.close();
  });

  it("a resource found running by the probe and then deleted is stopped with the probed definition", async () => {
    const { calls, resources } = await vipConfigured({ running: ["vip"], ip: "10.0.0.7" });
    await deleteVip(resources);
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    expect(calls).toEqual(["monitor vip ip=10.0.0.7", "stop vip ip=10.0.0.7"]);
    resources.close();
  });

  it("an orphan is never started, and a resource that never ran here cannot be stopped", async () => {
    const { running, resources } = await vipConfigured();
    await resources.operate("vip", "start");
    await resources.operate("vip", "stop");
    await deleteVip(resources);
    expect(await resources.operate("vip", "start")).toMatchObject({ ok: false });
    expect(await resources.operate("ghost", "stop")).toEqual({ ok: false, reason: "resource ghost is not in the configuration this node has, and it has not run here" });
    expect(running.size).toBe(0);
    resources.close();
  });

  it("a stop of a resource forgotten once known stopped succeeds (the DC planned it from an older report, as after a cleanup)", async () => {
    const { running, resources } = await vipConfigured();
    await resources.operate("vip", "start");
    await deleteVip(resources);
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    // Forgotten now; the same stop again (late) finds nothing to stop, where a resource never known here is refused.
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    expect(await resources.operate("ghost", "stop")).toMatchObject({ ok: false });
    expect(running.size).toBe(0);
    resources.close();
  });

  it("a stopped resource removed from the configuration leaves no history behind", async () => {
    const { resources } = await vipConfigured();
    expect(Object.keys(resources.report().resources)).toEqual(["vip"]);
    await deleteVip(resources);
    expect(resources.report().resources).toEqual({});
    resources.close();
  });

  it("a cleanup of a running orphan probes it again with its last definition: it is not forgotten while it runs", async () => {
    const { calls, resources } = await vipConfigured();
    await resources.operate("vip", "start");
    await deleteVip(resources);
    resources.cleanup("vip");
    await probed(resources, "0.3.0");
    expect(resources.report().resources.vip?.operations.map((op) => [op.operation, op.rcCode])).toEqual([["monitor", 0]]);
    expect(calls.at(-1)).toBe("monitor vip ip=10.0.0.1");
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    resources.close();
  });

  it("a resource deleted while its start still runs is not forgotten: its stop then uses the definition it was started with (simulator seed 16)", async () => {
    const running = new Set<string>();
    const calls: string[] = [];
    let finishStart: (() => void) | undefined;
    const runner: ActionRunner = async (each, action, intervalMs) => {
      if (intervalMs === 0) calls.push(`${action} ${each.id} ip=${each.instance[0]?.values.ip}`);
      if (action === "start") {
        await new Promise<void>((resolve) => (finishStart = resolve));
        running.add(each.id);
      }
      if (action === "stop") running.delete(each.id);
      return { rc: action === "monitor" ? (running.has(each.id) ? 0 : 7) : 0, timedOut: false, runTimeMs: 1 };
    };
    const { resources } = await vipConfigured({ runner });
    const start = resources.operate("vip", "start");
    while (finishStart === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    // `resource delete vip` is stored while the start runs.
    await deleteVip(resources);
    finishStart();
    expect(await start).toEqual({ ok: true });
    expect(running.has("vip")).toBe(true);
    expect(resources.report().resources.vip).toMatchObject({ class: "ocf", provider: "test", type: "IP" });
    expect(await resources.operate("vip", "stop")).toEqual({ ok: true });
    expect(running.has("vip")).toBe(false);
    expect(calls.at(-1)).toBe("stop vip ip=10.0.0.1");
    resources.close();
  });
});
