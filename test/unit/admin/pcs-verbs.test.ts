// pcs's verbs where they differ from edgeha's own (issue 22), on CIB files: the edits
// (`constraint order A then B`, `resource meta`, `resource op add|remove`, `resource [op]
// defaults update`), the views (bare `resource`, `constraint`, `stonith`, `property`;
// `resource config`, `constraint ref`, `status -f`), the CIB file verbs (`cluster cib`,
// `cluster cib-push`, `cluster verify`) and the agent listings. The comparison with pcs
// itself is test/integration/admin/pcs-compare.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInProcess } from "../../support/cli";
import { readCibFile, type Primitive } from "../../../src/cib";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-pcs-verbs-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const ocfRoot = path.join(directory, "ocf");
mkdirSync(path.join(ocfRoot, "resource.d", "alpha"), { recursive: true });
const agentFile = path.join(ocfRoot, "resource.d", "alpha", "Vip");
writeFileSync(agentFile, `#!/bin/sh\ncat <<'XML'\n<?xml version="1.0"?>\n<resource-agent name="Vip"><shortdesc>A test VIP</shortdesc><parameters><parameter name="ip" required="1"><content type="string"/></parameter></parameters><actions><action name="start" timeout="20s"/><action name="stop" timeout="20s"/><action name="monitor" interval="10s" timeout="25s"/><action name="meta-data" timeout="5s"/></actions></resource-agent>\nXML\n`);
chmodSync(agentFile, 0o755);

const START = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.8"><configuration><crm_config/><nodes><node id="1" uname="pcmk-1"/><node id="2" uname="pcmk-2"/></nodes><resources/><constraints/></configuration><status/></cib>\n`;
let counter = 0;
function newFile(): string {
  const file = path.join(directory, `cib-${counter++}.xml`);
  writeFileSync(file, START);
  return file;
}
const run = (...argv: string[]) => runInProcess(argv, undefined, "", { OCF_ROOT: ocfRoot });
const cibOf = (file: string) => readCibFile(file).cib;

async function twoResources(): Promise<string> {
  const file = newFile();
  for (const line of [["property", "set", "stonith-enabled=false"], ["resource", "create", "a", "Vip", "ip=10.0.0.1"], ["resource", "create", "b", "ocf:alpha:Vip", "ip=10.0.0.2"]]) {
    expect(await run("-f", file, ...line)).toMatchObject({ status: 0 });
  }
  return file;
}

describe("pcs's edits", () => {
  it("constraint order [ACTION] A then [ACTION] B, writing both actions as pcs does", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "constraint", "order", "a", "then", "b")).status).toBe(0);
    expect((await run("-f", file, "constraint", "order", "stop", "b", "then", "stop", "a", "kind=Optional")).status).toBe(0);
    expect(cibOf(file).constraints).toMatchObject([
      { kind: "order", first: "a", firstAction: "start", then: "b", thenAction: "start" },
      { kind: "order", first: "b", firstAction: "stop", then: "a", thenAction: "stop", orderKind: "Optional" },
    ]);
    expect((await run("-f", file, "constraint", "order", "start", "nosuch", "then", "start", "a")).status).toBe(1);
  });

  it("constraint colocation add with one role writes Started for the other side, as pcs does", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "constraint", "colocation", "add", "a", "with", "Promoted", "b")).status).toBe(0);
    expect(cibOf(file).constraints).toMatchObject([{ kind: "colocation", rsc: "a", rscRole: "Started", withRsc: "b", withRscRole: "Promoted" }]);
  });

  it("resource meta, on a primitive and on a clone", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "resource", "meta", "a", "migration-threshold=2", "failure-timeout=60s")).status).toBe(0);
    expect((await run("-f", file, "resource", "clone", "b")).status).toBe(0);
    expect((await run("-f", file, "resource", "meta", "b-clone", "interleave=true")).status).toBe(0);
    const [a, clone] = cibOf(file).resources;
    expect(a!.meta[0]!.values).toEqual({ "migration-threshold": "2", "failure-timeout": "60s" });
    expect(clone!.meta[0]!.values).toEqual({ interleave: "true" });
    expect((await run("-f", file, "resource", "meta", "nosuch", "a=b")).err).toContain("[E_ADMIN_UNKNOWN_RESOURCE]");
  });

  it("resource op add refuses an action already configured unless --force; op remove needs the exact options, or the id", async () => {
    const file = await twoResources();
    const monitors = () => (cibOf(file).resources[0] as Primitive).operations.filter((operation) => operation.name === "monitor").map((operation) => `${operation.interval}/${operation.timeout ?? ""}`);
    expect(monitors()).toEqual(["10s/25s"]);
    const refused = await run("-f", file, "resource", "op", "add", "a", "monitor", "interval=30s");
    expect(refused.status).toBe(1);
    expect(refused.err).toContain("operation monitor is already configured for 'a'");
    expect((await run("-f", file, "resource", "op", "remove", "a", "monitor", "interval=10s")).err).toContain("has no operation monitor with exactly interval=10s; it has: monitor interval=10s timeout=25s");
    expect((await run("-f", file, "resource", "op", "remove", "a", "monitor", "interval=10s", "timeout=25s")).status).toBe(0);
    expect(monitors()).toEqual([]);
    expect((await run("-f", file, "resource", "op", "add", "a", "monitor", "interval=30s", "timeout=20s")).status).toBe(0);
    expect((await run("-f", file, "resource", "op", "add", "a", "monitor", "interval=30s", "--force")).err).toContain("would run only one of them");
    expect((await run("-f", file, "resource", "op", "add", "a", "monitor", "interval=60s", "--force")).status).toBe(0);
    expect(monitors()).toEqual(["30s/20s", "60s/"]);
    const id = (cibOf(file).resources[0] as Primitive).operations.find((operation) => operation.interval === "60s")!.id;
    expect((await run("-f", file, "resource", "op", "delete", id)).status).toBe(0);
    expect(monitors()).toEqual(["30s/20s"]);
  });

  it("resource defaults update and resource op defaults update; the config views print them", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "resource", "defaults", "update", "resource-stickiness=100")).status).toBe(0);
    expect((await run("-f", file, "resource", "op", "defaults", "update", "timeout=240s")).status).toBe(0);
    expect(cibOf(file).rscDefaults[0]!.values).toEqual({ "resource-stickiness": "100" });
    expect(cibOf(file).opDefaults[0]!.values).toEqual({ timeout: "240s" });
    expect((await run("-f", file, "resource", "defaults", "config")).out).toMatch(/^Meta Attrs: .*\n {2}resource-stickiness=100\n$/);
  });
});

describe("pcs's views of a file", () => {
  it("bare resource, stonith, constraint and property; resource config; constraint ref; status -f", async () => {
    const file = await twoResources();
    await run("-f", file, "constraint", "colocation", "add", "b", "with", "a");
    expect((await run("-f", file, "resource")).out).toBe("  * a\t(ocf:alpha:Vip):\t Stopped\n  * b\t(ocf:alpha:Vip):\t Stopped\n");
    expect((await run("-f", file, "stonith")).out).toBe("  * No resources\n");
    expect((await run("-f", file, "constraint")).out).toContain("Colocation Constraints:\n  b with a (score:INFINITY)\n");
    expect((await run("-f", file, "property")).out).toBe("Cluster Properties:\n stonith-enabled: false\n");
    expect((await run("-f", file, "resource", "config", "a")).out).toMatch(/^Resource: a \(class=ocf provider=alpha type=Vip\)\n {2}Attributes: a-instance_attributes\n {4}ip=10.0.0.1\n {2}Operations:\n/);
    expect((await run("-f", file, "resource", "config", "nosuch")).status).toBe(1);
    expect((await run("-f", file, "constraint", "ref", "a")).out).toMatch(/^Resource: a\n {2}colocation-b-a-INFINITY\n$/);
    const status = await run("-f", file, "status");
    expect(status.out).toContain("Node List:\n  * Node pcmk-1: (offline)\n  * Node pcmk-2: (offline)");
    expect((await run("status", "nodes", "-f", file)).out).toBe("Node List:\n  * Node pcmk-1: (offline)\n  * Node pcmk-2: (offline)\n");
    // pcs 0.10's `resource --full` is the configuration, as `resource config` prints it.
    const full = await run("-f", file, "resource", "--full");
    expect(full.status).toBe(0);
    expect(full.out).toBe((await run("-f", file, "resource", "config")).out);
    expect(full.out).toMatch(/^Resource: a \(class=ocf provider=alpha type=Vip\)/);
    // pcs's -f FILE between the command words, too.
    expect((await run("resource", "-f", file, "config", "a")).out).toBe((await run("-f", file, "resource", "config", "a")).out);
    expect((await run("resource", `--file=${file}`, "status")).out).toBe("  * a\t(ocf:alpha:Vip):\t Stopped\n  * b\t(ocf:alpha:Vip):\t Stopped\n");
    const between = newFile();
    expect((await run("property", "-f", between, "set", "stonith-enabled=false")).status).toBe(0);
    expect(cibOf(between).properties.some((set) => set.values["stonith-enabled"] === "false")).toBe(true);
    expect((await run("-f", file, "resource", "nosuchverb")).err).toContain("unknown command 'edgeha resource nosuchverb'");
  });

  it("lists the standards, providers and agents, and describes an agent", async () => {
    expect((await run("resource", "providers")).out).toBe("alpha\n");
    expect((await run("resource", "agents", "ocf:alpha")).out).toBe("Vip\n");
    expect((await run("resource", "standards")).out).toContain("ocf\n");
    const described = await run("resource", "describe", "Vip");
    expect(described.out).toContain("ocf:alpha:Vip - A test VIP");
    expect(described.out).toContain("ip (required) [string]");
    expect((await run("resource", "agents", "ocf:nosuch")).status).toBe(1);
  });
});

describe("the CIB file verbs", () => {
  it("cluster cib copies the CIB; cib-push --config replaces the configuration; diff-against refuses a lost update", async () => {
    const file = await twoResources();
    const copy = path.join(directory, "copy.xml");
    expect((await run("-f", file, "cluster", "cib", copy)).status).toBe(0);
    expect(readFileSync(copy, "utf8")).toBe(readFileSync(file, "utf8"));
    const original = path.join(directory, "original.xml");
    expect((await run("-f", file, "cluster", "cib", original)).status).toBe(0);
    expect((await run("-f", copy, "resource", "delete", "b")).status).toBe(0);
    expect((await run("-f", file, "cluster", "cib-push", copy, "--config")).status).toBe(0);
    expect(cibOf(file).resources.map((resource) => resource.id)).toEqual(["a"]);
    // The file changed since original.xml was taken: a push made against it would undo that.
    const refused = await run("-f", file, "cluster", "cib-push", original, `diff-against=${original}`);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain("[E_CIB_CONFLICT]");
    expect(cibOf(file).resources.map((resource) => resource.id)).toEqual(["a"]);
    expect((await run("-f", file, "cluster", "cib")).out).toMatch(/^<cib /);
  });

  it("cluster verify: STONITH enabled without devices is an error; a node that could not be fenced a failing warning", async () => {
    const file = newFile();
    const none = await run("-f", file, "cluster", "verify");
    expect(none.status).toBe(1);
    expect(none.err).toContain("error: Resource start-up disabled since no STONITH resources have been defined");
    expect((await run("-f", file, "property", "set", "stonith-enabled=false")).status).toBe(0);
    expect((await run("-f", file, "cluster", "verify")).status).toBe(0);
    expect((await run("-f", file, "stonith", "create", "f1", "fence_ipmilan", "ip=10.0.0.1", "username=a", "password=b", "pcmk_host_list=pcmk-1", "--force")).status).toBe(0);
    expect((await run("-f", file, "property", "set", "stonith-enabled=true")).status).toBe(0);
    const unseen = await run("-f", file, "cluster", "verify");
    expect(unseen.status).toBe(1);
    expect(unseen.err).toContain("node pcmk-1 has no state in the CIB, so it counts as unclean, but it cannot be fenced");
    expect((await run("-f", file, "property", "set", "no-quorum-policy=ignore")).status).toBe(0);
    expect((await run("-f", file, "cluster", "verify", "--json")).out).toContain('"valid":true');
  });
});

describe("issue 18 point 5's verbs: utilization, tags, manage, fail counts", () => {
  it("resource and node utilization (integers), shown back; a warning while placement-strategy is default", async () => {
    const file = await twoResources();
    const set = await run("-f", file, "resource", "utilization", "a", "cpu=1", "memory=256");
    expect(set.status).toBe(0);
    expect(set.err).toContain("placement-strategy is 'default'");
    expect((await run("-f", file, "node", "utilization", "pcmk-1", "cpu=4")).status).toBe(0);
    expect((await run("-f", file, "resource", "utilization", "a", "cpu=lots")).err).toContain("must be an integer");
    expect((cibOf(file).resources[0] as Primitive).utilization![0]!.values).toEqual({ cpu: "1", memory: "256" });
    expect(cibOf(file).nodes[0]!.utilization[0]!.values).toEqual({ cpu: "4" });
    expect((await run("-f", file, "resource", "utilization", "a")).out).toBe("Resource Utilization:\n a: cpu=1 memory=256\n");
    expect((await run("-f", file, "resource", "utilization", "nosuch", "cpu=1")).status).toBe(1);
  });

  it("tag create names existing resources once; a tag a constraint uses is not removed", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "tag", "create", "vips", "a", "b")).status).toBe(0);
    expect(cibOf(file).tags).toEqual([{ id: "vips", refs: ["a", "b"] }]);
    expect((await run("-f", file, "tag", "create", "vips", "a")).err).toContain("[E_ADMIN_EXISTS]");
    expect((await run("-f", file, "tag", "create", "t2", "nosuch")).err).toContain("[E_ADMIN_UNKNOWN_RESOURCE]");
    expect((await run("-f", file, "tag")).out).toBe("vips\n  a\n  b\n");
    expect((await run("-f", file, "tag", "remove", "vips")).status).toBe(0);
    expect(cibOf(file).tags).toBeUndefined();
  });

  it("resource unmanage and manage; failcount show of a file with none", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "resource", "unmanage", "a")).status).toBe(0);
    expect(cibOf(file).resources[0]!.meta[0]!.values).toEqual({ "is-managed": "false" });
    expect((await run("-f", file, "resource", "manage", "a")).status).toBe(0);
    expect(cibOf(file).resources[0]!.meta.flatMap((set) => Object.keys(set.values))).toEqual([]);
    expect((await run("-f", file, "resource", "failcount", "show", "a")).out).toBe("No failcounts for resource 'a'\n");
  });
});

describe("constraint order set and constraint colocation set", () => {
  it("writes the sets with their options and the constraint's; refuses unknown resources and options", async () => {
    const file = await twoResources();
    expect((await run("-f", file, "resource", "create", "c", "ocf:alpha:Vip", "ip=10.0.0.3")).status).toBe(0);
    expect((await run("-f", file, "constraint", "order", "set", "a", "b", "sequential=false", "set", "c", "action=promote", "require-all=false", "setoptions", "kind=Optional")).status).toBe(0);
    expect((await run("-f", file, "constraint", "colocation", "set", "a", "b", "role=Started", "set", "c")).status).toBe(0);
    expect(cibOf(file).constraints).toMatchObject([
      { kind: "order-sets", orderKind: "Optional", sets: [{ resources: ["a", "b"], sequential: "false" }, { resources: ["c"], action: "promote", requireAll: "false" }] },
      { kind: "colocation-sets", score: "INFINITY", sets: [{ resources: ["a", "b"], role: "Started" }, { resources: ["c"] }] },
    ]);
    expect((await run("-f", file, "constraint", "order", "set", "a", "set", "nosuch")).err).toContain("[E_ADMIN_UNKNOWN_RESOURCE]");
    expect((await run("-f", file, "constraint", "colocation", "set", "a", "set", "b", "setoptions", "kind=Optional")).err).toContain("'kind' is not an option");
    expect((await run("-f", file, "constraint", "order", "set", "a", "action=jump", "set", "b")).err).toContain("must be one of start, stop, promote, demote");
    expect(cibOf(file).constraints).toHaveLength(2);
  });
});
