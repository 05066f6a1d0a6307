import { describe, expect, it } from "vitest";
import { clusterDigests, describeReload, digestDifferences, parseConfig, planReload, problemLinesOf } from "./reload-helpers";
import { PAIR } from "./helpers";

const running = parseConfig(PAIR, "pair.yaml");
const edited = (from: string, to: string) => {
  expect(PAIR).toContain(from);
  return parseConfig(PAIR.replace(from, to), "pair.yaml");
};

describe("reload plan", () => {
  it("finds nothing to do in the same file", () => {
    expect(planReload(running, parseConfig(PAIR, "pair.yaml"))).toEqual({ changes: [], refused: [] });
  });

  it("applies timing, links, the arbiter's address and the log level live", () => {
    const next = parseConfig(
      PAIR.replace("timing: { heartbeat_ms: 100, token_ms: 500 }", "timing: { heartbeat_ms: 200, token_ms: 800 }\nlogging: { level: debug }\nmetrics: { listen: \"127.0.0.1:9664\" }")
        .replace("172.16.9.2", "172.16.9.22").replace('"10.20.0.9:5406"', '"10.20.0.8:5406"'),
      "pair.yaml",
    );
    const plan = planReload(running, next);
    expect(plan.refused).toEqual([]);
    expect(describeReload(plan)).toEqual([
      'nodes[beta].links: ["10.20.0.2","172.16.9.2"] -> ["10.20.0.2","172.16.9.22"]',
      "quorum.arbiter: 10.20.0.9:5406 -> 10.20.0.8:5406",
      "timing.heartbeat_ms: 100 -> 200",
      "timing.token_ms: 500 -> 800",
      "timing.consensus_ms: 600 -> 960",
      "logging.level: info -> debug",
      "metrics.listen: (none) -> 127.0.0.1:9664",
    ]);
  });

  it("refuses what cannot change live, saying why and what to do instead", () => {
    const plan = planReload(running, edited("port: 5405", "port: 5409"));
    expect(plan.refused.map((change) => change.path)).toEqual(["transport.port"]);
    expect(describeReload(plan)[0]).toMatch(/^transport.port: 5405 -> 5409 \(cannot change live: .*restart the agents one at a time/);
    expect(planReload(running, edited("cluster_name: shelf7", "cluster_name: shelf8")).refused[0]?.why).toMatch(/every frame/);
    expect(planReload(running, edited("- { name: beta, id: 2,", "- { name: gamma, id: 2,")).refused[0]).toMatchObject({ path: "nodes", why: expect.stringMatching(/cluster node add\|remove/) });
    expect(planReload(running, edited(', arbiter: "10.20.0.9:5406"', "")).refused[0]).toMatchObject({ path: "quorum.arbiter", why: expect.stringMatching(/counted/) });
    expect(planReload(running, edited("state_dir: /var/lib/edgeha", "state_dir: /srv/edgeha")).refused[0]?.path).toBe("paths.state_dir");
  });
});

describe("cluster-wide digests", () => {
  it("differ exactly in the setting that differs, and ignore local settings", () => {
    const mine = clusterDigests(running);
    expect(digestDifferences(mine, clusterDigests(edited("two_node: true", "two_node: true, wait_for_all: false")))).toEqual(["quorum.wait_for_all"]);
    // consensus_ms follows token_ms, but the file writes neither that nor the change of it: only what is written is compared.
    expect(digestDifferences(mine, clusterDigests(edited("token_ms: 500", "token_ms: 600")))).toEqual(["timing.token_ms"]);
    expect(digestDifferences(mine, clusterDigests(edited("172.16.9.2", "172.16.9.3")))).toEqual(["nodes"]);
    expect(digestDifferences(mine, clusterDigests(edited("socket: /run/edgeha/edgeha.sock", "socket: /tmp/x.sock")))).toEqual([]);
  });

  it("treats a default and the same value written out as equal, and a key only one side knows as no difference", () => {
    const written = parseConfig(PAIR.replace("two_node: true,", "two_node: true, wait_for_all: true, expected_votes: 2,"), "pair.yaml");
    expect(digestDifferences(clusterDigests(running), clusterDigests(written))).toEqual([]);
    expect(digestDifferences(clusterDigests(running), { ...clusterDigests(running), "future.setting": "0000" })).toEqual([]);
  });

  it("compares timing as written, so a build with other timing defaults agrees with this one during a rolling upgrade", () => {
    const bare = PAIR.replace("timing: { heartbeat_ms: 100, token_ms: 500 }", "");
    expect(bare).not.toContain("timing");
    const thisBuild = parseConfig(bare, "pair.yaml");
    // What a build from before this change announces for the same file: every timing key, effective, under its defaults (300 ms heartbeat).
    // (It had no "timing.written".)
    const { "timing.written": _none, ...olderBuild } = clusterDigests({ ...thisBuild, timing: { heartbeatMs: 300, tokenMs: 600, consensusMs: 720, joinMs: 50, echoMs: 20 }, timingWritten: undefined });
    expect(Object.keys(olderBuild)).toEqual(expect.arrayContaining(["timing.heartbeat_ms", "timing.token_ms", "timing.consensus_ms", "timing.join_ms", "timing.echo_ms"]));
    expect(thisBuild.timing.heartbeatMs).not.toBe(300);
    expect(digestDifferences(clusterDigests(thisBuild), olderBuild)).toEqual([]);
    expect(digestDifferences(olderBuild, clusterDigests(thisBuild))).toEqual([]);
    // A value this file writes is still compared with what the older build runs.
    const written = parseConfig(bare.replace("cluster_name: shelf7", "cluster_name: shelf7\ntiming: { heartbeat_ms: 200 }"), "pair.yaml");
    expect(written.timingWritten).toEqual(["heartbeat_ms"]);
    expect(digestDifferences(clusterDigests(written), olderBuild)).toEqual(["timing.heartbeat_ms"]);
    // Between two nodes of this build, a timing key one file writes and the other leaves to its default is a difference, even at the default's value.
    const atDefault = parseConfig(bare.replace("cluster_name: shelf7", `cluster_name: shelf7\ntiming: { heartbeat_ms: ${thisBuild.timing.heartbeatMs} }`), "pair.yaml");
    expect(digestDifferences(clusterDigests(thisBuild), clusterDigests(atDefault))).toEqual(["timing.written"]);
    expect(digestDifferences(clusterDigests(atDefault), clusterDigests(parseConfig(bare.replace("cluster_name: shelf7", `cluster_name: shelf7\ntiming: { heartbeat_ms: ${thisBuild.timing.heartbeatMs} }`), "pair.yaml")))).toEqual([]);
  });
});

describe("new keys", () => {
  it("reads config_version and logging.level, and names a bad level", () => {
    const config = parseConfig(`config_version: 7\nlogging: { level: warn }\n${PAIR}`, "pair.yaml");
    expect([config.configVersion, config.logging.level]).toEqual([7, "warn"]);
    expect(running.configVersion).toBe(0);
    expect(problemLinesOf(`logging: { level: loud }\n${PAIR}`)).toEqual(["test.yaml:1:19: logging.level must be one of debug, info, warn, error, not 'loud'"]);
  });
});
