// ipaddr's duplicate address detection is skipped when the DC fenced (and confirmed off) every
// node the VIP last ran on before this start: the mark travels from the DC's start step
// (test/unit/controller/fenced-holder.test.ts) through LocalResources and the action runner to
// the built-in agent's call. Otherwise start waits dad_timeout_ms as before.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Writable } from "node:stream";
import { ipaddr, dadWaitMs } from "../../../agents/ipaddr";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { createLogger } from "../../../src/common/log";
import { createActionRunner } from "../../../src/node/agent";
import { LocalResources, type ActionHints, type ActionRunner } from "../../../src/node/local-resources";

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

function vip(): Primitive {
  return { kind: "primitive", id: "vip", class: "builtin", type: "ipaddr", extra: {}, instance: [{ id: "vip-i", values: { ip: "10.77.0.10" } }], meta: [], operations: [] };
}

afterEach(() => { vi.restoreAllMocks(); });

describe("ipaddr: no duplicate address wait after the former holder was fenced", () => {
  it("waits dad_timeout_ms (100 by default) unless the former holder was fenced", () => {
    expect(dadWaitMs({ params: {} })).toBe(100);
    expect(dadWaitMs({ params: { dad_timeout_ms: "250" } })).toBe(250);
    expect(dadWaitMs({ params: { dad_timeout_ms: "0" } })).toBe(0);
    expect(dadWaitMs({ params: {}, formerHolderFenced: false })).toBe(100);
    expect(dadWaitMs({ params: {}, formerHolderFenced: true })).toBe(0);
    expect(dadWaitMs({ params: { dad_timeout_ms: "250" }, formerHolderFenced: true })).toBe(0);
  });

  it("the action runner hands the mark to a built-in agent's start, and to nothing else", async () => {
    const seen: Array<[string, boolean | undefined]> = [];
    vi.spyOn(ipaddr, "start").mockImplementation(async (call) => { seen.push(["start", call.formerHolderFenced]); return { rc: 0 }; });
    vi.spyOn(ipaddr, "monitor").mockImplementation(async (call) => { seen.push(["monitor", call.formerHolderFenced]); return { rc: 0 }; });
    const run = createActionRunner("n1");
    await run(vip(), "start", 0, 1000, { formerHolderFenced: true });
    await run(vip(), "start", 0, 1000);
    await run(vip(), "monitor", 1000, 1000, { formerHolderFenced: true });
    expect(seen).toEqual([["start", true], ["start", undefined], ["monitor", undefined]]);
  });

  it("LocalResources passes the DC's mark to the runner for a start only", async () => {
    const hints: Array<[string, ActionHints | undefined]> = [];
    const runner: ActionRunner = async (_primitive, action, _interval, _timeout, given) => {
      if (action !== "monitor") hints.push([action, given]);
      return { rc: action === "monitor" ? 7 : 0, timedOut: false, runTimeMs: 1 };
    };
    const resources = new LocalResources("n1", runner, quiet, () => 1000);
    const cib: Cib = emptyCib();
    cib.version = { adminEpoch: 0, epoch: 2, numUpdates: 0 };
    cib.resources = [vip()];
    resources.configure(cib);
    const deadline = Date.now() + 2000;
    while (!resources.report().probed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await resources.operate("vip", "start", undefined, undefined, { formerHolderFenced: true })).ok).toBe(true);
    expect((await resources.operate("vip", "stop", undefined, undefined, { formerHolderFenced: true })).ok).toBe(true);
    expect((await resources.operate("vip", "start")).ok).toBe(true);
    expect(hints).toEqual([["start", { formerHolderFenced: true }], ["stop", undefined], ["start", undefined]]);
    resources.close();
  });
});
