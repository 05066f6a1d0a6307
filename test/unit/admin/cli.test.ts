// The admin commands end to end in -f mode: each edits a CIB file in place, in
// the file's own format, and prints what it did (or JSON with --json).
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-admin-cli-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;

/** A fresh native CIB file with two nodes, version 0.3.0. */
function cibFile(extension = "json"): string {
  const file = path.join(directory, `cib-${counter++}.${extension}`);
  const cib = { version: { adminEpoch: 0, epoch: 3, numUpdates: 0 }, nodes: [{ id: "1", uname: "node1" }, { id: "2", uname: "node2" }] };
  writeFileSync(file, extension === "yaml" ? `version: {adminEpoch: 0, epoch: 3, numUpdates: 0}\nnodes:\n  - {id: "1", uname: node1}\n  - {id: "2", uname: node2}\n` : JSON.stringify(cib));
  return file;
}

const run = (...argv: string[]) => runInProcess(argv);
const stored = (file: string) => JSON.parse(readFileSync(file, "utf8"));

describe("admin commands on a CIB file (-f)", () => {
  it("creates a group of resources and writes the file back with the next version", async () => {
    const file = cibFile();
    const vip = await run("resource", "create", "vip", "ocf:heartbeat:IPaddr2", "ip=192.0.2.10", "op", "monitor", "interval=5s", "--group", "front", "-f", file);
    expect(vip).toMatchObject({ status: 0, out: "created resource vip (CIB version 0.4.0)\n" });
    expect(vip.err).toContain("warning: created group 'front'");
    const web = await run("resource", "create", "web", "systemd:haproxy", "--group", "front", "-f", file, "--json");
    expect(JSON.parse(web.out)).toMatchObject({ ok: true, changed: true, version: "0.5.0" });
    const cib = stored(file);
    expect(cib.version).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 0 });
    expect(cib.resources[0].members.map((member: { id: string }) => member.id)).toEqual(["vip", "web"]);
  });

  it("fails with the near name and changes nothing for an unknown resource", async () => {
    const file = cibFile();
    await run("resource", "create", "webserver", "ocf:heartbeat:Dummy", "-f", file);
    const before = readFileSync(file, "utf8");
    const result = await run("resource", "move", "webservr", "node1", "-f", file);
    expect(result.status).toBe(1);
    expect(result.err).toBe("edgeha: no resource named 'webservr' (did you mean 'webserver'?) [E_ADMIN_UNKNOWN_RESOURCE]\n");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("move, ban and clear manage cli-* constraints, and constraint list shows them", async () => {
    const file = cibFile();
    await run("resource", "create", "vip", "ocf:heartbeat:Dummy", "-f", file);
    expect((await run("resource", "move", "vip", "node2", "-f", file)).status).toBe(0);
    expect((await run("resource", "ban", "vip", "node1", "-f", file)).status).toBe(0);
    const listed = await run("constraint", "list", "-f", file);
    expect(listed.out).toBe("location vip node node2 score=INFINITY role=Started (id: cli-prefer-vip)\nlocation vip node node1 score=-INFINITY role=Started (id: cli-ban-vip-on-node1)\n");
    const banned = await run("resource", "ban", "vip", "node2", "-f", file);
    expect(banned.err).toContain("warning: resource 'vip' can run on no node");
    await run("resource", "clear", "vip", "-f", file);
    expect(JSON.parse((await run("constraint", "list", "-f", file, "--json")).out)).toEqual([]);
  });

  it("edits a YAML file and keeps it YAML", async () => {
    const file = cibFile("yaml");
    const result = await run("property", "set", "stonith-enabled=false", "-f", file);
    expect(result).toMatchObject({ status: 0, out: "set stonith-enabled (CIB version 0.4.0)\n" });
    const cib = parseYaml(readFileSync(file, "utf8"));
    expect(cib.properties[0].values).toEqual({ "stonith-enabled": "false" });
    const listed = await run("property", "list", "-f", file, "--json");
    expect(JSON.parse(listed.out)).toEqual([{ name: "stonith-enabled", value: "false", default: "true", set: true }]);
  });

  it("names the near property and refuses without --force", async () => {
    const file = cibFile();
    const result = await run("property", "set", "no-quorum-polcy=stop", "-f", file);
    expect(result.status).toBe(1);
    expect(result.err).toContain("did you mean 'no-quorum-policy'?");
    expect(result.err).toContain("[E_ADMIN_PROPERTY]");
  });

  it("edits Pacemaker XML in place and writes XML back", async () => {
    const file = path.join(directory, "pacemaker.xml");
    writeFileSync(file, `<cib admin_epoch="0" epoch="7" num_updates="2"><configuration><crm_config/><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes><resources/><constraints/></configuration><status/></cib>\n`);
    const result = await run("node", "standby", "node1", "-f", file);
    expect(result).toMatchObject({ status: 0, out: "node1 is in standby (CIB version 0.8.0)\n" });
    const text = readFileSync(file, "utf8");
    expect(text).toContain('epoch="8"');
    expect(text).toMatch(/<node id="1" uname="node1">\s*<instance_attributes id="nodes-1">\s*<nvpair id="nodes-1-standby" name="standby" value="on"\/>/);
  });

  it("refuses to write back XML that holds elements edgeha does not keep, unless --force", async () => {
    const file = path.join(directory, "acls.xml");
    writeFileSync(file, `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes><node id="1" uname="node1"/></nodes><resources/><constraints/><acls><acl_role id="viewer"/></acls></configuration><status/></cib>\n`);
    const refused = await run("node", "standby", "node1", "-f", file);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain("[E_ADMIN_LOSSY]");
    expect((await run("node", "standby", "node1", "-f", file, "--force")).status).toBe(0);
  });

  it("stonith create, level add and delete through the CLI", async () => {
    const file = cibFile();
    expect((await run("stonith", "create", "fence-n1", "ipmilan", "ip=192.0.2.101", "username=admin", "pcmk_host_list=node1", "-f", file)).status).toBe(0);
    const unknown = await run("stonith", "create", "fence-n2", "ipmilam", "-f", file);
    expect(unknown.err).toContain("did you mean 'ipmilan'?");
    const misspelt = await run("stonith", "create", "fence-n2", "ipmilan", "ip=192.0.2.102", "usernme=admin", "-f", file);
    expect(misspelt.err).toContain("driver 'ipmilan' has no parameter 'usernme' (did you mean 'username'?)");
    expect((await run("stonith", "update", "fence-n1", "pcmk_delay_max=5s", "-f", file)).status).toBe(0);
    expect(stored(file).resources[0].instance[0].values.pcmk_delay_max).toBe("5s");
    await run("resource", "create", "vip", "ocf:heartbeat:Dummy", "-f", file);
    expect((await run("stonith", "update", "vip", "a=b", "-f", file)).err).toContain("'vip' is not a fence device");
    expect((await run("stonith", "level", "add", "1", "node1", "fence-n1", "-f", file)).status).toBe(0);
    expect(stored(file).fencingTopology).toMatchObject([{ index: 1, target: "node1", devices: ["fence-n1"] }]);
    const deleted = await run("stonith", "delete", "fence-n1", "-f", file);
    expect(deleted.err).toContain("removed fencing level 'fl-node1-1'");
    expect(stored(file).fencingTopology).toEqual([]);
  });

  it("node attribute sets, shows and removes attributes", async () => {
    const file = cibFile();
    await run("node", "attribute", "node2", "rack=a1", "-f", file);
    expect((await run("node", "attribute", "node2", "-f", file)).out).toBe("rack=a1\n");
    await run("node", "attribute", "node2", "rack=", "-f", file);
    expect((await run("node", "attribute", "node2", "-f", file, "--json")).out).toBe("{}\n");
  });

  it("resource defaults and op defaults set, show and warn about unknown names", async () => {
    const file = cibFile();
    expect((await run("resource", "defaults", "resource-stickiness=100", "-f", file)).status).toBe(0);
    const typo = await run("resource", "op", "defaults", "timout=30s", "-f", file);
    expect(typo.err).toContain("did you mean 'timeout'?");
    expect((await run("resource", "defaults", "-f", file)).out).toBe("resource-stickiness=100\n");
    expect(JSON.parse((await run("resource", "op", "defaults", "-f", file, "--json")).out)).toEqual({ timout: "30s" });
    expect(stored(file).rscDefaults).toEqual([{ id: "rsc-options", values: { "resource-stickiness": "100" }, pairIds: { "resource-stickiness": "rsc-options-resource-stickiness" } }]);
  });

  it("refuses a file and a socket at once", async () => {
    const result = await run("constraint", "list", "-f", cibFile(), "--socket", "/nonexistent.sock");
    expect(result).toMatchObject({ status: 2, err: expect.stringContaining("not both") });
  });

  it("a usage mistake exits 2 with a hint", async () => {
    const result = await run("resource", "move", "vip", "-f", cibFile());
    expect(result.status).toBe(2);
    expect(result.err).toContain("hint: Run 'edgeha resource move --help'");
  });
});

describe("config show, export, import, apply (-f / --cib)", () => {
  it("apply prints the diff first, applies it as one version, and a second apply changes nothing", async () => {
    const file = cibFile();
    const original = readFileSync(file, "utf8");
    const desired = path.join(directory, "desired.yaml");
    writeFileSync(desired, [
      "properties:",
      "  - id: cib-bootstrap-options",
      "    values: {stonith-enabled: \"false\"}",
      "resources:",
      "  - {kind: primitive, id: vip, class: ocf, provider: heartbeat, type: IPaddr2}",
      "  - {kind: primitive, id: web, class: systemd, type: haproxy}",
      "constraints:",
      "  - {kind: colocation, id: web-with-vip, rsc: web, withRsc: vip, score: INFINITY}",
      "",
    ].join("\n"));
    const dry = await run("config", "apply", "-f", desired, "--cib", file, "--dry-run");
    expect(dry.out).toBe("+ property set cib-bootstrap-options\n+ resource vip\n+ resource web\n+ constraint web-with-vip\ndry run: nothing was changed (CIB version 0.3.0)\n");
    expect(readFileSync(file, "utf8")).toBe(original);
    const applied = await run("config", "apply", desired, "--cib", file);
    expect(applied.status).toBe(0);
    expect(applied.out).toContain("applied as one change: CIB version 0.4.0");
    expect(stored(file).nodes.map((node: { uname: string }) => node.uname)).toEqual(["node1", "node2"]);
    const again = await run("config", "apply", "-f", desired, "--cib", file, "--json");
    expect(JSON.parse(again.out)).toMatchObject({ ok: true, changed: false, changes: [], version: "0.4.0" });
  });

  it("export to YAML and apply it back is no change; show prints the configuration", async () => {
    const file = cibFile();
    await run("resource", "create", "vip", "ocf:heartbeat:Dummy", "-f", file);
    const exported = path.join(directory, "exported.yaml");
    expect((await run("config", "export", "-o", exported, "-f", file)).status).toBe(0);
    const applied = await run("config", "apply", "-f", exported, "--cib", file);
    expect(applied.out).toBe("no differences\nnothing changed (CIB version 0.4.0)\n");
    expect(applied.err).toContain("'status' in");
    const shown = await run("config", "show", "-f", file);
    // The agent's meta-data gives the operations (as pcs): start, stop, monitor, ...
    expect(shown.out).toMatch(/Resources:\n  vip \(ocf:heartbeat:Dummy\)\n(    op .*\n)*    op monitor interval=10s/);
  });

  it("show never prints a fence device's password, as text or JSON", async () => {
    const file = cibFile();
    await run("stonith", "create", "fence-n1", "ipmilan", "ip=192.0.2.101", "username=admin", "password=Wh1sper-9", "-f", file);
    const text = await run("config", "show", "-f", file);
    expect(text.out).toContain("password=********");
    const json = await run("config", "show", "-f", file, "--json");
    for (const output of [text.out, json.out, text.err, json.err]) expect(output).not.toContain("Wh1sper-9");
    expect(JSON.stringify(stored(file))).toContain("Wh1sper-9");
  });

  it("import replaces the configuration with a Pacemaker XML file's", async () => {
    const file = cibFile();
    await run("resource", "create", "old", "ocf:heartbeat:Dummy", "-f", file);
    const xml = path.join(directory, "import.xml");
    writeFileSync(xml, `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes><resources><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></resources><constraints/></configuration><status/></cib>\n`);
    const result = await run("config", "import", xml, "-f", file);
    expect(result.out).toBe("- resource old\n+ resource d\napplied as one change: CIB version 0.5.0\n");
    expect(stored(file).resources.map((resource: { id: string }) => resource.id)).toEqual(["d"]);
  });

  it("the bootstrap config commands are still there", async () => {
    expect((await run("config", "explain", "--json")).status).toBe(0);
  });
});
