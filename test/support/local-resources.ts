// Shared pieces of the executor's unit tests (LocalResources without real agents): a
// node's agents as a set of what runs, resources with one "ip" parameter, CIBs of them,
// and a wait for the probe of a configuration version.
import { Writable } from "node:stream";
import { emptyCib, type Cib, type Primitive } from "../../src/cib";
import { createLogger } from "../../src/common/log";
import type { ActionRunner, LocalResources } from "../../src/node/local-resources";

export const quietLogger = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

/** A logger that keeps its lines. */
export function capturingLogger() {
  const lines: string[] = [];
  return { lines, log: createLogger({ destination: new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } }) }) };
}

/**
 * The node's real agents: what runs outlives the agent process. Every one-shot action
 * (not a recurring monitor) is written down as `describe(action, resource)`; a monitor
 * answers running (0) or not running (7).
 */
export function fakeAgents(
  initiallyRunning: string[] = [],
  describe: (action: string, each: Primitive, intervalMs: number) => string | undefined = (action, each, intervalMs) =>
    intervalMs === 0 ? `${action} ${each.id} ip=${each.instance[0]?.values.ip}` : undefined,
) {
  const running = new Set(initiallyRunning);
  const calls: string[] = [];
  const runner: ActionRunner = async (each, action, intervalMs) => {
    const call = describe(action, each, intervalMs);
    if (call !== undefined) calls.push(call);
    if (action === "start") running.add(each.id);
    if (action === "stop") running.delete(each.id);
    return { rc: action === "monitor" ? (running.has(each.id) ? 0 : 7) : 0, timedOut: false, runTimeMs: 1 };
  };
  return { running, calls, runner };
}

/** An ocf:test:IP resource with one "ip" parameter and a 1 s monitor. */
export function ipPrimitive(id: string, ip: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "test", type: "IP", extra: {}, instance: [{ id: `${id}-i`, values: { ip } }], meta: [], operations: [{ id: `${id}-m`, name: "monitor", interval: "1s", intervalMs: 1000, extra: {}, meta: [], instance: [] }] };
}

/** A CIB at version 0.EPOCH.0 holding these primitives (none: an empty configuration). */
export function cibOf(epoch: number, ...primitives: Primitive[]): Cib {
  const value = emptyCib();
  value.version = { adminEpoch: 0, epoch, numUpdates: 0 };
  value.resources = primitives;
  return value;
}

/** Waits (at most 2 s) until the executor has probed configuration VERSION. */
export async function probed(resources: LocalResources, version: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(resources.report().probed && resources.report().cibVersion === version)) {
    if (Date.now() > deadline) throw new Error(`not probed: ${JSON.stringify(resources.report())}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
