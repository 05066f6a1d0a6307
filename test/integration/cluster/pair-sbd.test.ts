// The sbd disk poison pill in the running cluster (issue 17, points 4 and 5): the namespace
// pair without an arbiter, both agents with `watchdog.sbd_devices` naming one shared sbd disk
// (an 8 MiB file behind a loop device, created by the real `sbd -d LOOP create`: watchdog 2 s,
// msgwait 4 s) and a watchdog each (the testbed's stand-in, test/support/watchdog-standin.mjs,
// 2 s: not fed in time, it powers its machine off, every process killed and the cable
// unplugged). The fence devices are fence_sbd (edgeha's built-in driver) on that disk;
// stonith-watchdog-timeout is 5 s and node2's level 1 is the watchdog.
// - `sbd -d LOOP list` shows the slot each agent took at its start, clear.
// - Watchdog fencing is refused in a pair without an arbiter: `stonith fence node2` with the
//   watchdog as node2's only level fails with the reason in the history; node2 keeps serving.
// - With fence_sbd as level 2, `stonith fence node2` through the DC (node1) finds level 1
//   refused, writes "reset" into node2's slot and waits msgwait; node2's agent reads it and
//   stops feeding its watchdog, which powers node2 off before the DC takes it for fenced;
//   `sbd list` shows the message and its sender; node1 takes the services over.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { canUseNamespaces, reasonMissing, repositoryRoot } from "../../support/environment";
import { PairTestbed, type PairNode } from "../../support/pair";
import { PairCluster } from "../../support/pair-cluster";

const missing = [canUseNamespaces() ? "" : "(needs root and network namespaces)", reasonMissing("ipmi_sim", "ipmitool", "haproxy", "memcached", "curl", "mkfifo", "sbd", "losetup", "truncate", "dd")].filter(Boolean).join(" ");
const testbed = new PairTestbed({ tag: `d${process.pid % 1000}`, subnet: 10 + ((process.pid + 53) % 200) });
const WATCHDOG_SECONDS = 2;
const MSGWAIT_SECONDS = 4;
const device = (node: PairNode) => join(testbed.directory, `watchdog-${node.name}`);
let directory = "";
let loop = "";
if (!missing) {
  directory = mkdtempSync(join("/var/tmp", "eh-pair-sbd-"));
  spawnSync("truncate", ["-s", "8M", join(directory, "lun.img")]);
  loop = spawnSync("losetup", ["--find", "--show", join(directory, "lun.img")], { encoding: "utf8" }).stdout.trim();
}
const fenceDevice = (node: PairNode) => `<primitive id="fence-${node.name}" class="stonith" type="fence_sbd">
        <instance_attributes id="fence-${node.name}-i">
          <nvpair id="fence-${node.name}-1" name="devices" value="${loop}"/><nvpair id="fence-${node.name}-2" name="pcmk_host_list" value="${node.name}"/>
        </instance_attributes>
      </primitive>`;
const cluster = new PairCluster(testbed, {
  port: 34600 + ((process.pid + 11) % 90), tokenMs: 1500, consensusMs: 1800, preferredNode: "node2", repositoryRoot, fenceDevice,
  watchdogDevice: device, sbdDevices: [loop],
  properties: { "stonith-watchdog-timeout": "5s" },
  fencingTopology: `<fencing-level id="fl-node2-1" target="node2" index="1" devices="watchdog"/>`,
});
const standins: ChildProcess[] = [];

interface Entry { target: string; action: string; state: string; origin: string; reason: string; device?: string; completedAtMs?: number }

function edgeha(node: PairNode, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return testbed.exec(node.namespace, [...cluster.command, ...args, "--socket", cluster.socket(node)], 60_000);
}

function history(node: PairNode): Entry[] {
  const result = edgeha(node, "stonith", "history", "--json");
  return result.status === 0 ? (JSON.parse(result.stdout) as Entry[]) : [];
}

/** `sbd -d LOOP list` as [slot, name, message, sender] rows. */
function sbdList(): string[][] {
  const result = spawnSync("sbd", ["-d", loop, "list"], { encoding: "utf8", timeout: 10_000 });
  return result.stdout.replace(/\n+$/, "").split("\n").filter(Boolean).map((line) => line.split("\t"));
}

function watchdogEvents(node: PairNode): Array<{ atMs: number; event: string }> {
  const file = `${device(node)}.events`;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => ({ atMs: Number(line.split(" ")[0]), event: line.split(" ")[1]! }));
}

beforeAll(async () => {
  if (missing) return;
  expect(loop).toMatch(/^\/dev\/loop\d+$/);
  const created = spawnSync("sbd", ["-d", loop, "-1", String(WATCHDOG_SECONDS), "-4", String(MSGWAIT_SECONDS), "create"], { encoding: "utf8", timeout: 30_000 });
  expect(created.status, created.stderr).toBe(0);
  await testbed.create();
  cluster.writeConfig();
  for (const node of testbed.nodes) {
    const bmc = join(testbed.directory, `bmc-${node.name}`);
    standins.push(spawn(process.execPath, [join(repositoryRoot, "test", "support", "watchdog-standin.mjs"), device(node), String(WATCHDOG_SECONDS), "--", "sh", join(bmc, "control.sh"), "0x20", "set", "power", "0"], {
      stdio: "ignore", env: { ...process.env, BMC_DIR: bmc, SWITCH: testbed.switchNs, CABLE: node.cable, NODE_NS: node.namespace, NODE_ADDR: node.address },
    }));
  }
  for (let wait = 0; wait < 100 && !testbed.nodes.every((node) => existsSync(`${device(node)}.timeout`)); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const node of testbed.nodes) cluster.startAgent(node);
}, 60_000);

afterAll(() => {
  for (const child of standins) child.kill("SIGKILL");
  if (!missing) testbed.destroy();
  if (loop) spawnSync("losetup", ["-d", loop]);
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(missing !== "")(`the sbd poison pill in the running pair ${missing}`, () => { // skipped: without root and namespaces, ipmi_sim, ipmitool, haproxy, memcached, curl, mkfifo, sbd, losetup, truncate or dd; the title names what is missing
  const [node1, node2] = [testbed.nodes[0]!, testbed.nodes[1]!];

  it("both agents take their slot on the disk (sbd list shows them clear); node2 serves, node1 is the DC", async () => {
    expect(await cluster.waitFor("node2 serving", () => cluster.ask() === "node2" && "node2", 60_000)).toBe("node2");
    expect(cluster.status(node1)?.dc).toBe("node1");
    const rows = sbdList();
    expect(rows.filter((row) => row[1] === "node1" || row[1] === "node2").map((row) => [row[1], row[2]]).sort()).toEqual([["node1", "clear"], ["node2", "clear"]]);
    for (const node of testbed.nodes) expect(watchdogEvents(node).map((entry) => entry.event).slice(0, 2)).toEqual(["armed", "fed"]);
  }, 90_000);

  it("watchdog fencing is refused in a pair without an arbiter: the fence fails with the reason, node2 keeps serving", () => {
    const refused = edgeha(node1, "stonith", "fence", node2.name);
    expect(refused.status).not.toBe(0);
    const last = history(node1).filter((entry) => entry.target === node2.name).at(-1);
    expect(last).toMatchObject({ state: "failed" });
    expect(last!.reason).toMatch(/watchdog fencing is unsafe in a two-node cluster without an arbiter/);
    expect(cluster.ask()).toBe("node2");
    expect(watchdogEvents(node2).some((entry) => entry.event === "expired")).toBe(false);
    expect(sbdList().find((row) => row[1] === "node2")?.[2]).toBe("clear");
  }, 60_000);

  it("stonith fence node2 through the DC writes reset into node2's slot; node2 resets itself through its watchdog before msgwait ends; node1 takes over", async () => {
    const added = edgeha(node1, "stonith", "level", "add", "2", node2.name, "fence-node2");
    expect(added.status, added.stderr).toBe(0);
    const askedAtMs = Date.now();
    const fenced = edgeha(node1, "stonith", "fence", node2.name);
    expect(fenced.status, fenced.stderr).toBe(0);
    expect(fenced.stdout).toMatch(/reboot node2: done by fence-node2 on node1/);
    const record = history(node1).filter((entry) => entry.target === node2.name).at(-1)!;
    expect(record).toMatchObject({ action: "reboot", state: "done", device: "fence-node2" });
    expect(sbdList().find((row) => row[1] === "node2")?.slice(2)).toEqual(["reset", "node1"]);
    // node2 read its slot and starved its watchdog: the stand-in powered it off before the DC's msgwait ran out.
    const expired = watchdogEvents(node2).find((entry) => entry.event === "expired" && entry.atMs >= askedAtMs);
    expect(expired).toBeDefined();
    expect(expired!.atMs).toBeLessThanOrEqual(record.completedAtMs!);
    console.log(`sbd fencing through the DC: node2's watchdog fired ${expired!.atMs - askedAtMs} ms after the request; the DC took it for fenced after ${record.completedAtMs! - askedAtMs} ms (msgwait ${MSGWAIT_SECONDS * 1000} ms)`);
    // The test's own event loop was blocked by the CLI calls above: give it time to copy node2's last log lines.
    await cluster.waitFor("node2's log to say why it stopped feeding", () => /sbd: \\?"reset\\?" from node1.*no longer feeding the watchdog/.test(testbed.log("node2.log")), 10_000);
    expect(watchdogEvents(node1).some((entry) => entry.event === "expired")).toBe(false);
    expect(await cluster.waitFor("node1 serving", () => cluster.ask() === "node1" && "node1", 60_000)).toBe("node1");
  }, 90_000);
});
