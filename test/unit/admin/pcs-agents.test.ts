// `resource create` as pcs does it, against agents of a test OCF root: a global `-f FILE`
// before the command, a missing file starting an empty CIB, a bare type resolved among the
// installed agents (ambiguous and unknown ones refused, listing the candidates), the
// agent's meta-data checking parameters (a required one missing, an unknown name, a
// value not of the declared type: refused unless --force) and giving the default
// operations (issue 22; issue 18 point 5).
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runInProcess } from "../../support/cli";
import { readCibFile } from "../../../src/cib";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-pcs-agents-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const ocfRoot = path.join(directory, "ocf");

function agent(provider: string, type: string, parameters: string, actions: string): void {
  mkdirSync(path.join(ocfRoot, "resource.d", provider), { recursive: true });
  const file = path.join(ocfRoot, "resource.d", provider, type);
  writeFileSync(file, `#!/bin/sh\ncat <<'XML'\n<?xml version="1.0"?>\n<resource-agent name="${type}"><parameters>${parameters}</parameters><actions>${actions}</actions></resource-agent>\nXML\n`);
  chmodSync(file, 0o755);
}
const parameter = (name: string, type: string, required = false, extra = "") => `<parameter name="${name}" required="${required ? 1 : 0}"><content type="${type}"/>${extra}</parameter>`;
agent("alpha", "Vip", parameter("ip", "string", true) + parameter("port", "integer") + parameter("lanplus", "boolean") + parameter("mode", "select", false, ""), '<action name="start" timeout="20s"/><action name="stop" timeout="30s"/><action name="monitor" interval="10s" timeout="25s"/><action name="meta-data" timeout="5s"/><action name="validate-all" timeout="5s"/>');
// An agent whose validate-all refuses an ip without a dot, with an exit reason, and writes down that it ran.
mkdirSync(path.join(ocfRoot, "resource.d", "gamma"), { recursive: true });
const checkedFile = path.join(ocfRoot, "resource.d", "gamma", "Checked");
writeFileSync(checkedFile, `#!/bin/sh
case "$1" in
meta-data) cat <<'XML'
<?xml version="1.0"?>
<resource-agent name="Checked"><parameters>${parameter("ip", "string", true)}</parameters><actions><action name="start" timeout="20s"/><action name="monitor" interval="10s" timeout="20s"/><action name="validate-all" timeout="5s"/></actions></resource-agent>
XML
;;
validate-all) echo "$OCF_RESKEY_ip" >> "$OCF_ROOT/validated"; case "$OCF_RESKEY_ip" in *.*) exit 0;; esac; echo "ocf-exit-reason:ip '$OCF_RESKEY_ip' is not an address" >&2; exit 6;;
esac
exit 0
`);
chmodSync(checkedFile, 0o755);
agent("alpha", "Both", parameter("x", "string"), '<action name="start" timeout="20s"/><action name="monitor" interval="10s"/>');
agent("beta", "Both", parameter("x", "string"), '<action name="start" timeout="20s"/><action name="monitor" interval="10s"/>');

let counter = 0;
const newFile = (): string => path.join(directory, `cib-${counter++}.xml`);
const run = (...argv: string[]) => runInProcess(argv, undefined, "", { OCF_ROOT: ocfRoot });
const primitives = (file: string) => readCibFile(file).cib.resources;

describe("pcs's global -f and a file that does not exist yet", () => {
  it("takes -f FILE before the command and starts an empty CIB in a missing file", async () => {
    const file = newFile();
    expect(existsSync(file)).toBe(false);
    const result = await run("-f", file, "property", "set", "stonith-enabled=false");
    expect(result).toMatchObject({ status: 0 });
    const xml = readFileSync(file, "utf8");
    expect(xml).toMatch(/^<cib /);
    expect(xml).toContain('name="stonith-enabled" value="false"');
  });

  it("still refuses an option before the command that pcs does not have there", async () => {
    expect(await run("--socket", "/tmp/x", "status")).toMatchObject({ status: 2 });
  });
});

describe("bare agent types, as pcs resolves them", () => {
  it("resolves a type that one installed agent has, and says which", async () => {
    const file = newFile();
    const result = await run("-f", file, "resource", "create", "vip", "Vip", "ip=10.0.0.1");
    expect(result.status).toBe(0);
    expect(result.err).toContain("Assumed agent name 'ocf:alpha:Vip' (deduced from 'Vip')");
    expect(primitives(file)[0]).toMatchObject({ id: "vip", class: "ocf", provider: "alpha", type: "Vip" });
  });

  it("refuses an ambiguous type, listing the candidates, and an unknown one", async () => {
    const file = newFile();
    const both = await run("-f", file, "resource", "create", "b", "Both");
    expect(both.status).toBe(1);
    expect(both.err).toContain("ocf:alpha:Both, ocf:beta:Both");
    const none = await run("-f", file, "resource", "create", "n", "NoSuchAgentHere");
    expect(none.status).toBe(1);
    expect(none.err).toContain("unable to find a resource agent named 'NoSuchAgentHere'");
    expect(existsSync(file)).toBe(false);
  });
});

describe("parameters checked against the agent's meta-data", () => {
  it("refuses a missing required parameter, an unknown name and a wrong type unless --force", async () => {
    const file = newFile();
    const cases: Array<[string[], string]> = [
      [[], "required resource option 'ip' of ocf:alpha:Vip is missing"],
      [["ip=10.0.0.1", "ipp=1"], "invalid resource option 'ipp' for ocf:alpha:Vip"],
      [["ip=10.0.0.1", "port=eighty"], "resource option 'port' of ocf:alpha:Vip must be an integer, not 'eighty'"],
      [["ip=10.0.0.1", "lanplus=maybe"], "must be a boolean"],
    ];
    for (const [values, message] of cases) {
      const refused = await run("-f", file, "resource", "create", "vip", "ocf:alpha:Vip", ...values);
      expect(refused.status).toBe(1);
      expect(refused.err).toContain(message);
      expect(refused.err).toContain("[E_ADMIN_PARAMETER]");
      expect(existsSync(file)).toBe(false);
    }
    const forced = await run("-f", file, "resource", "create", "vip", "ocf:alpha:Vip", "ipp=1", "--force");
    expect(forced.status).toBe(0);
    expect(forced.err).toContain("set anyway (--force)");
  });

  it("refuses an agent that is not installed unless --force", async () => {
    const file = newFile();
    const refused = await run("-f", file, "resource", "create", "x", "ocf:alpha:Missing");
    expect(refused).toMatchObject({ status: 1 });
    expect(refused.err).toContain("is not installed or does not provide valid meta-data, use --force to override");
    expect((await run("-f", file, "resource", "create", "x", "ocf:alpha:Missing", "--force")).status).toBe(0);
  });

  it("checks the names and types of resource update too", async () => {
    const file = newFile();
    expect((await run("-f", file, "resource", "create", "vip", "ocf:alpha:Vip", "ip=10.0.0.1")).status).toBe(0);
    expect((await run("-f", file, "resource", "update", "vip", "port=x")).err).toContain("must be an integer");
    expect((await run("-f", file, "resource", "update", "vip", "nic=eth0")).err).toContain("invalid resource option 'nic'");
    expect((await run("-f", file, "resource", "update", "vip", "port=8080")).status).toBe(0);
  });
});

describe("--agent-validation, as pcs 0.11's: the agent's validate-all on the parameters", () => {
  it("refuses what validate-all refuses (its exit code and reason) unless --force, and runs it only when asked", async () => {
    const file = newFile();
    const refused = await run("-f", file, "resource", "create", "vip", "ocf:gamma:Checked", "ip=nowhere", "--agent-validation");
    expect(refused.status).toBe(1);
    expect(refused.err).toContain("resource 'vip': validation of the options of ocf:gamma:Checked failed: its validate-all exited 6 (ip 'nowhere' is not an address); use --force to override [E_ADMIN_PARAMETER]");
    const forced = await run("-f", file, "resource", "create", "vip", "ocf:gamma:Checked", "ip=nowhere", "--agent-validation", "--force");
    expect(forced).toMatchObject({ status: 0, err: expect.stringContaining("created anyway (--force)") });
    expect((await run("-f", file, "resource", "create", "vip2", "ocf:gamma:Checked", "ip=10.0.0.2", "--agent-validation")).status).toBe(0);
    // Without the flag, validate-all is not run (pcs runs it only when asked).
    expect((await run("-f", file, "resource", "create", "vip3", "ocf:gamma:Checked", "ip=elsewhere")).status).toBe(0);
    expect(readFileSync(path.join(ocfRoot, "validated"), "utf8")).toBe("nowhere\nnowhere\n10.0.0.2\n");
    // update: validate-all sees the resource's parameters with the change.
    expect(await run("-f", file, "resource", "update", "vip2", "ip=nowhere", "--agent-validation")).toMatchObject({ status: 1, err: expect.stringContaining("resource 'vip2': validation of the options of ocf:gamma:Checked failed: its validate-all exited 6") });
    expect((await run("-f", file, "resource", "update", "vip2", "ip=10.0.0.3", "--agent-validation")).status).toBe(0);
    expect(readFileSync(path.join(ocfRoot, "validated"), "utf8")).toBe("nowhere\nnowhere\n10.0.0.2\nnowhere\n10.0.0.3\n");
  });
});

describe("default operations from the agent's meta-data", () => {
  it("adds the agent's actions (not meta-data or validate-all) with their timeouts; a given op replaces the agent's", async () => {
    const file = newFile();
    expect((await run("-f", file, "resource", "create", "vip", "ocf:alpha:Vip", "ip=10.0.0.1", "op", "monitor", "interval=30s")).status).toBe(0);
    const operations = primitives(file)[0]!.kind === "primitive" ? (primitives(file)[0] as { operations: Array<{ name: string; interval: string; timeout?: string }> }).operations : [];
    expect(operations.map((operation) => [operation.name, operation.interval, operation.timeout])).toEqual([
      ["monitor", "30s", undefined], ["start", "0s", "20s"], ["stop", "0s", "30s"],
    ]);
  });

  it("with --no-default-ops only the monitor", async () => {
    const file = newFile();
    expect((await run("-f", file, "resource", "create", "vip", "ocf:alpha:Vip", "ip=10.0.0.1", "--no-default-ops")).status).toBe(0);
    const primitive = primitives(file)[0] as { operations: Array<{ name: string; interval: string; timeout?: string }> };
    expect(primitive.operations.map((operation) => [operation.name, operation.interval, operation.timeout])).toEqual([["monitor", "10s", "25s"]]);
  });
});
