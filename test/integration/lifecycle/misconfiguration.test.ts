// Loud misconfiguration with real agents on loopback: a peer with another authkey, a peer
// whose bootstrap config differs, a node missing from our nodes list and another cluster on
// the same port each show in `status` (per source, naming the likely cause or the setting)
// and are logged once (rate-limited), not for every frame. Takes about 30 s.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Loopback, address } from "./loopback";

const port = 34220 + (process.pid % 20);
const cluster = new Loopback();
const dir = cluster.directory;
afterAll(() => cluster.close());

function config(name: string, options: { cluster?: string; key?: string; nodes?: Array<[string, number, number]>; timing?: string }): string {
  const nodes = options.nodes ?? [["alpha", 1, 1], ["beta", 2, 2]];
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `cluster_name: ${options.cluster ?? "ehmis"}`, `transport: { port: ${port} }`, `paths: { authkey: ${join(dir, options.key ?? "key1")} }`,
    ...(options.timing ? [`timing: ${options.timing}`] : []), "nodes:",
    ...nodes.map(([node, id, host]) => `  - { name: ${node}, id: ${id}, links: [${address(host)}] }`), "",
  ].join("\n"));
  return file;
}

const linesOf = (name: string, pattern: RegExp) => cluster.logOf(name).split("\n").filter((line) => pattern.test(line));

describe("misconfiguration is loud", () => {
  it("names a different authkey, a different config, an unknown node and another cluster", async () => {
    for (const key of ["key1", "key2"]) writeFileSync(join(dir, key), randomBytes(64), { mode: 0o600 });
    cluster.start("alpha", { config: config("alpha", {}) });

    // Another authkey: beta's frames fail authentication at alpha, and the other way round.
    cluster.start("beta", { config: config("beta", { key: "key2" }) });
    const auth = new RegExp(`^${address(2).replaceAll(".", "\\.")}: \\d+ frames? failed authentication in the last minute: a different authkey\\?$`);
    await cluster.waitFor("alpha to report beta's frames", () => cluster.status("alpha")?.misconfiguration?.find((drop) => auth.test(drop.message)));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const text = cluster.statusText("alpha");
    expect(text).toMatch(/WARNINGS:\n {2}\* 127\.\d+\.2\.1: \d+ frames failed authentication in the last minute: a different authkey\?/);
    // beta is listed, not online (never seen since alpha started: with startup-fencing, unclean as Pacemaker shows it).
    expect(text).toMatch(/(OFFLINE|UNCLEAN \(lost, fencing pending\)): \[ beta \]/);
    // Hundreds of frames in those seconds, one log line.
    expect(cluster.status("alpha")!.misconfiguration![0]!.count).toBeGreaterThan(5);
    expect(linesOf("alpha", /failed authentication/)).toHaveLength(1);
    await cluster.stop("beta");

    // The same key, a token_ms written in beta's file only (1500 ms: at least 2 x the 500 ms
    // default heartbeat): they form a cluster and each names the settings that differ. Timing
    // is compared as the files write it (src/config/digest.ts), so the derived consensus_ms is
    // not named; the warning names the key one file sets and the other leaves to its default, with both values.
    cluster.start("beta", { config: config("beta2", { timing: "{ token_ms: 1500 }" }) });
    const differs = /beta's bootstrap config differs from this node's in timing\.token_ms \(beta's file sets 1500, this node's leaves it to its default, \d+\): the same file belongs on every node/;
    await cluster.waitFor("alpha to name the different settings", () => cluster.status("alpha")?.versions?.warnings.find((warning) => differs.test(warning)));
    expect(cluster.statusText("alpha")).toMatch(differs);
    await cluster.waitFor("beta to name them too", () => cluster.status("beta")?.versions?.warnings.some((warning) => /alpha's bootstrap config differs from this node's in timing\.token_ms \(this node's file sets 1500, alpha's leaves it to its default, \d+\)/.test(warning)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(linesOf("alpha", /bootstrap config differs/)).toHaveLength(1);

    // A node alpha does not know (in a config that lists a third node), and another cluster on the same port.
    cluster.start("gamma", { config: config("gamma", { nodes: [["alpha", 1, 1], ["beta", 2, 2], ["gamma", 3, 3]] }) });
    cluster.start("delta", { config: config("delta", { cluster: "ehother", nodes: [["alpha", 1, 1], ["delta", 2, 4]] }) });
    const unknown = await cluster.waitFor("alpha to report gamma", () => cluster.status("alpha")?.misconfiguration?.find((drop) => drop.reason === "unknown-sender"));
    expect(unknown.message).toMatch(new RegExp(`^${address(3).replaceAll(".", "\\.")}: \\d+ frames? from node id 3, which is not in this node's nodes list, in the last minute`));
    const foreign = await cluster.waitFor("alpha to report delta", () => cluster.status("alpha")?.misconfiguration?.find((drop) => drop.reason === "cluster"));
    expect(foreign.message).toMatch(new RegExp(`^${address(4).replaceAll(".", "\\.")}: \\d+ frames? for another cluster in the last minute`));
    expect(linesOf("alpha", /for another cluster/)).toHaveLength(1);
  }, 120_000);
});
