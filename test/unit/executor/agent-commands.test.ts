// `edgeha agents list|describe` and `edgeha resource debug-*` in process: built-in agents
// listed and described from their meta-data, OCF agents found under an OCF root of our
// own, and one action of a CIB resource run locally with the agent's result.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInProcess as run } from "../../support/cli";

const directory = mkdtempSync(join(tmpdir(), "eh-agent-cmds-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function ocfRoot(): string {
  const root = join(directory, "ocf");
  const agent = join(root, "resource.d", "acme", "Thing");
  mkdirSync(join(root, "resource.d", "acme"), { recursive: true });
  writeFileSync(agent, `#!/bin/sh\n[ "$1" = meta-data ] && cat <<'X'\n<?xml version="1.0"?>\n<resource-agent name="Thing"><shortdesc lang="en">A thing</shortdesc><parameters><parameter name="size" required="1"><shortdesc lang="en">How big</shortdesc><content type="string" default="3"/></parameter></parameters><actions><action name="start" timeout="9s"/><action name="monitor" timeout="5s" interval="10s"/></actions></resource-agent>\nX\nexit 0\n`);
  chmodSync(agent, 0o755);
  return root;
}

describe("agents list and describe", () => {
  it("lists built-in agents and OCF agents of an OCF root, filtered by class and provider", async () => {
    const root = ocfRoot();
    const all = await run(["agents", "list", "--ocf-root", root]);
    expect(all.status).toBe(0);
    expect(all.out.split("\n")).toEqual(expect.arrayContaining(["builtin:ipaddr", "builtin:haproxy", "builtin:memcached", "builtin:dummy", "ocf:acme:Thing"]));
    const acme = await run(["agents", "list", "ocf:acme", "--ocf-root", root, "--json"]);
    expect(JSON.parse(acme.out)).toEqual([{ name: "ocf:acme:Thing", class: "ocf", provider: "acme", type: "Thing" }]);
    expect((await run(["agents", "list", "nonsense:::"])).status).toBe(2);
  });

  it("describes an OCF agent from its meta-data and a built-in from ours; a typo is named", async () => {
    const root = ocfRoot();
    const thing = await run(["agents", "describe", "ocf:acme:Thing", "--ocf-root", root, "--json"]);
    expect(JSON.parse(thing.out)).toEqual({ name: "ocf:acme:Thing", description: "A thing", parameters: [{ name: "size", required: true, default: "3", type: "string", description: "How big" }], actions: [{ name: "start", timeout: "9s" }, { name: "monitor", timeout: "5s", interval: "10s" }] });
    const ipaddr = await run(["agents", "describe", "builtin:ipaddr"]);
    expect(ipaddr.out).toMatch(/ip \(required\)/);
    const typo = await run(["agents", "describe", "builtin:ipadr"]);
    expect(typo.status).toBe(1);
    expect(typo.err).toMatch(/did you mean 'ipaddr'/);
    const missing = await run(["agents", "describe", "ocf:acme:Nothing", "--ocf-root", root]);
    expect(missing.err).toMatch(/not installed/);
  });
});

describe("resource debug-*", () => {
  it("runs start, monitor and stop of a CIB resource here and reports each result", async () => {
    const state = join(directory, "dummy.state");
    const cib = join(directory, "cib.json");
    writeFileSync(cib, JSON.stringify({
      version: { adminEpoch: 0, epoch: 1, numUpdates: 0 }, attributes: {}, properties: [], nodes: [], constraints: [], rscDefaults: [], opDefaults: [], fencingTopology: [], status: [],
      resources: [{ kind: "primitive", id: "d", class: "builtin", type: "dummy", extra: {}, instance: [{ id: "d-i", values: { state } }], meta: [], operations: [] }],
    }));
    const monitor = async () => JSON.parse((await run(["resource", "debug-monitor", "d", "--cib", cib, "--json"])).out) as { rc: number; result: string };
    expect((await monitor()).rc).toBe(7);
    const started = await run(["resource", "debug-start", "d", "--cib", cib]);
    expect(started.status).toBe(0);
    expect(started.out).toMatch(/^d start: rc=0/);
    expect(existsSync(state)).toBe(true);
    expect((await monitor()).rc).toBe(0);
    expect((await run(["resource", "debug-stop", "d", "--cib", cib])).status).toBe(0);
    expect((await monitor()).rc).toBe(7);
    const unknown = await run(["resource", "debug-start", "e", "--cib", cib]);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toMatch(/no resource 'e'/);
  });
});

describe("parameters checked against an OCF agent's meta-data", () => {
  it("a missing required parameter is OCF_ERR_CONFIGURED naming it, before the agent runs", async () => {
    const root = ocfRoot();
    const strict = join(root, "resource.d", "acme", "Strict");
    writeFileSync(strict, `#!/bin/sh\n[ "$1" = meta-data ] && cat <<'X'\n<?xml version="1.0"?>\n<resource-agent name="Strict"><parameters><parameter name="size" required="1"><content type="string"/></parameter></parameters><actions><action name="start" timeout="9s"/></actions></resource-agent>\nX\nexit 0\n`);
    chmodSync(strict, 0o755);
    const { createActionRunner } = await import("../../../src/node/agent");
    const runner = createActionRunner("n1", root);
    const primitive = { kind: "primitive" as const, id: "t", class: "ocf", provider: "acme", type: "Strict", extra: {}, instance: [], meta: [], operations: [] };
    expect(await runner(primitive, "start", 0, 5000)).toMatchObject({ rc: 6, reason: expect.stringMatching(/missing required parameter size/) });
    const given = { ...primitive, instance: [{ id: "t-i", values: { size: "5" } }] };
    expect((await runner(given, "start", 0, 5000)).rc).toBe(0);
  });
});
