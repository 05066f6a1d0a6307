import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadExternalDriver, parseAgentMetadata } from "../../../../fence-drivers/external/index";
import { runFenceAgent } from "../../../../fence-drivers/common/index";

// A fence agent of our own in sh: keeps a power state in a file, reads stdin like fence-agents do.
let dir = "";
let agent = "";
const METADATA = `<?xml version="1.0" ?>
<resource-agent name="fence_toy" shortdesc="Toy agent for tests" >
<longdesc>Power state in a file.</longdesc>
<parameters>
	<parameter name="ipaddr" unique="0" required="1" obsoletes="ip">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
		<shortdesc lang="en">IP address</shortdesc>
	</parameter>
	<parameter name="ip" unique="0" required="1" deprecated="1">
		<getopt mixed="-a, --ip=[ip]" />
		<content type="string"  />
		<shortdesc lang="en">IP address</shortdesc>
	</parameter>
	<parameter name="passwd" unique="0" required="0">
		<getopt mixed="-p, --password=[password]" />
		<content type="string"  />
		<shortdesc lang="en">Login password</shortdesc>
	</parameter>
	<parameter name="method" unique="0" required="0">
		<getopt mixed="-m, --method=[method]" />
		<content type="select" default="onoff"  >
			<option value="onoff" />
			<option value="cycle" />
		</content>
		<shortdesc lang="en">Method to fence</shortdesc>
	</parameter>
</parameters>
<actions>
	<action name="on" automatic="0"/>
	<action name="off" />
	<action name="reboot" />
	<action name="status" />
	<action name="list" />
	<action name="monitor" />
	<action name="metadata" />
	<action name="stop" timeout="20s" />
</actions>
</resource-agent>`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "eh-ext-"));
  agent = join(dir, "fence_toy");
  writeFileSync(join(dir, "metadata.xml"), METADATA);
  writeFileSync(join(dir, "state"), "on");
  writeFileSync(agent, `#!/bin/sh
D=${dir}
while IFS='=' read -r k v; do eval "opt_$k=\\$v" 2>/dev/null; echo "$k" >> $D/keys; done
case "$opt_action" in
  metadata) cat $D/metadata.xml; exit 0;;
  status) echo "Status: $(cat $D/state)"; [ "$(cat $D/state)" = on ] && exit 0 || exit 2;;
  on|off) if [ "$opt_passwd" != right ]; then echo "Failed: bad password $opt_passwd" >&2; exit 1; fi; echo $opt_action > $D/state; echo "Success: Powered $opt_action"; exit 0;;
  list) echo "1,node-a"; echo "2,node-b"; exit 0;;
  sleep) exit 0;;
  *) echo "Failed: unknown action" >&2; exit 1;;
esac
`);
  chmodSync(agent, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line), sleep: async () => {} } };
}

describe("external fence-agents program", () => {
  it("reads the program's metadata XML (deprecated spellings become aliases, flags from getopt)", async () => {
    const driver = await loadExternalDriver(agent);
    expect(driver.metadata.name).toBe("fence_toy");
    const ipaddr = driver.metadata.parameters.find((p) => p.name === "ipaddr")!;
    expect(ipaddr).toMatchObject({ required: true, aliases: ["ip"], flags: ["-a", "--ip"] });
    expect(driver.metadata.parameters.find((p) => p.name === "passwd")!.secret).toBe(true);
    expect(driver.metadata.parameters.find((p) => p.name === "method")!.choices).toEqual(["onoff", "cycle"]);
    expect(driver.metadata.actions).toEqual(["on", "off", "reboot", "status", "list", "monitor", "metadata"]);
  });
  it("runs off/status/on through stdin with the fence-agents exit codes", async () => {
    const driver = await loadExternalDriver(agent);
    expect(await runFenceAgent(driver, { action: "off", ipaddr: "x", passwd: "right" }, capture().io)).toBe(0);
    expect(readFileSync(join(dir, "state"), "utf8").trim()).toBe("off");
    const c = capture();
    expect(await runFenceAgent(driver, { action: "status", ipaddr: "x" }, c.io)).toBe(2);
    expect(c.out).toEqual(["Status: OFF"]);
    expect(await runFenceAgent(driver, { action: "on", ipaddr: "x", passwd: "right" }, capture().io)).toBe(0);
    expect(await runFenceAgent(driver, { action: "status", ipaddr: "x" }, capture().io)).toBe(0);
    expect(readFileSync(join(dir, "keys"), "utf8")).toContain("ipaddr");
  });
  it("a failing program is exit 1 and its password echo is redacted", async () => {
    const driver = await loadExternalDriver(agent);
    const c = capture();
    expect(await runFenceAgent(driver, { action: "off", ipaddr: "x", passwd: "Wr0ngPw" }, c.io)).toBe(1);
    const all = [...c.out, ...c.err].join("\n");
    expect(all).toContain("bad password");
    expect(all).not.toContain("Wr0ngPw");
  });
  it("list returns plug,alias pairs", async () => {
    const driver = await loadExternalDriver(agent);
    const c = capture();
    expect(await runFenceAgent(driver, { action: "list", ipaddr: "x" }, c.io)).toBe(0);
    expect(c.out).toEqual(["1,node-a", "2,node-b"]);
  });
  it("metadata that is not a resource-agent is refused", () => {
    expect(() => parseAgentMetadata("<foo/>", "fence_bad")).toThrow(/resource-agent/);
  });
  it("a missing program is E_FENCE_DRIVER", async () => {
    await expect(loadExternalDriver(join(dir, "fence_absent"))).rejects.toThrow(/is not an executable file/);
  });
});
