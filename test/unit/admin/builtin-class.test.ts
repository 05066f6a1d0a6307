// The builtin class in agent names: edgeha's own agents, checked against the ones built in;
// and their parameters checked at `resource create/update` as an OCF agent's are (required,
// unknown, the meta-data's content type), plus the agent's own validate-all on the values
// (an IPv4/IPv6 address for ipaddr's ip), each refused unless --force.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAgentName } from "../../../src/admin/operations";
import { readCibFile, flattenSets, type Primitive } from "../../../src/cib";
import { builtinAgents, metadataXml, validateAll } from "../../../agents";
import { runInProcess } from "../../support/cli";

const directory = mkdtempSync(path.join(os.tmpdir(), "edgeha-builtin-class-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const newFile = () => path.join(directory, `cib-${counter++}.xml`);
const run = (...argv: string[]) => runInProcess(argv);

describe("builtin agents in resource create", () => {
  it("accepts builtin:TYPE for a built-in agent and names the near match of a typo", () => {
    expect(parseAgentName("builtin:ipaddr")).toEqual({ class: "builtin", type: "ipaddr" });
    expect(() => parseAgentName("builtin:ipadr")).toThrow(/did you mean 'ipaddr'/);
    expect(() => parseAgentName("builtin:x:ipaddr")).toThrow(/has no provider/);
  });

  it("refuses ip=not-an-ip naming the resource, the parameter and what it must be; --force stores it with a warning", async () => {
    const file = newFile();
    const refused = await run("resource", "create", "vip", "builtin:ipaddr", "ip=not-an-ip", "-f", file);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain("resource 'vip': resource option 'ip' of builtin:ipaddr must be an IPv4 or IPv6 address, not 'not-an-ip'; use --force to override");
    expect(refused.err).toContain("[E_ADMIN_PARAMETER]");
    const forced = await run("resource", "create", "vip", "builtin:ipaddr", "ip=not-an-ip", "--force", "-f", file);
    expect(forced.status).toBe(0);
    expect(forced.err).toContain("must be an IPv4 or IPv6 address, not 'not-an-ip'; set anyway (--force)");
    const vip = readCibFile(file).cib.resources[0] as Primitive;
    expect(flattenSets(vip.instance)).toMatchObject({ ip: "not-an-ip" });
  });

  it("accepts good values (IPv4 and IPv6), and checks the integer parameters and the prefix length's range", async () => {
    const file = newFile();
    expect((await run("resource", "create", "vip", "builtin:ipaddr", "ip=192.0.2.10", "cidr_netmask=24", "-f", file)).status).toBe(0);
    expect((await run("resource", "create", "vip6", "builtin:ipaddr", "ip=2001:db8::10", "cidr_netmask=64", "-f", file)).status).toBe(0);
    expect(await run("resource", "create", "vip2", "builtin:ipaddr", "ip=192.0.2.11", "cidr_netmask=255.255.255.0", "-f", file)).toMatchObject({ status: 1, err: expect.stringContaining("resource option 'cidr_netmask' of builtin:ipaddr must be an integer, not '255.255.255.0'") });
    expect(await run("resource", "create", "vip2", "builtin:ipaddr", "ip=192.0.2.11", "cidr_netmask=33", "-f", file)).toMatchObject({ status: 1, err: expect.stringContaining("must be a prefix length from 0 to 32 for an IPv4 address, not '33'") });
    expect(await run("resource", "create", "cache", "builtin:memcached", "port=eleven", "-f", file)).toMatchObject({ status: 1, err: expect.stringContaining("resource option 'port' of builtin:memcached must be an integer, not 'eleven'") });
    // update checks the values it changes in the same way.
    expect(await run("resource", "update", "vip", "ip=192.0.2.300", "-f", file)).toMatchObject({ status: 1, err: expect.stringContaining("resource 'vip': resource option 'ip' of builtin:ipaddr must be an IPv4 or IPv6 address, not '192.0.2.300'") });
    expect((await run("resource", "update", "vip", "ip=192.0.2.12", "-f", file)).status).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("192.0.2.12");
  });

  it("the meta-data declares the integers, and validate-all refuses what create refuses", () => {
    const ipaddr = builtinAgents.get("ipaddr")!;
    expect(metadataXml(ipaddr)).toMatch(/<parameter name="cidr_netmask"[\s\S]*?<content type="integer"\/>/);
    expect(validateAll(ipaddr, { ip: "not-an-ip" })).toEqual({ rc: 6, reason: "ip 'not-an-ip' must be an IPv4 or IPv6 address" });
    expect(validateAll(ipaddr, { ip: "192.0.2.10", arp_count: "two" })).toEqual({ rc: 6, reason: "arp_count 'two' must be an integer" });
    expect(validateAll(ipaddr, { ip: "192.0.2.10", cidr_netmask: "24" })).toEqual({ rc: 0 });
  });
});
