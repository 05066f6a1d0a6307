import { describe, expect, it } from "vitest";
import { checkConfigText, parseConfig } from "../../../src/config/index";
import { MINIMAL, PAIR, errorLines, problemLines, warningLines, withLine } from "./helpers";

describe("a valid config", () => {
  it("has no problems and yields the config", () => {
    const check = checkConfigText(PAIR, "pair.yaml");
    expect(check.problems).toEqual([]);
    expect(check.config?.clusterName).toBe("shelf7");
    expect(check.config?.nodes.map((node) => [node.name, node.id, node.links])).toEqual([
      ["alpha", 1, ["10.20.0.1", "172.16.9.1"]],
      ["beta", 2, ["10.20.0.2", "172.16.9.2"]],
    ]);
    expect(check.config?.quorum.arbiter).toEqual({ host: "10.20.0.9", port: 5406 });
  });

  it("fills every default when only cluster_name and nodes are given", () => {
    const config = parseConfig(MINIMAL, "minimal.yaml");
    expect(config.transport).toEqual({ port: 5405, crypto: true });
    expect(config.timing).toEqual({ heartbeatMs: 500, tokenMs: 1000, consensusMs: 1200, joinMs: 50, echoMs: 20 });
    expect(config.timingWritten).toEqual([]);
    expect(config.paths).toEqual({ authkey: "/etc/edgeha/authkey", stateDir: "/var/lib/edgeha", socket: "/run/edgeha/edgeha.sock" });
    expect(config.quorum).toEqual({
      expectedVotes: 2,
      twoNode: true,
      waitForAll: true,
      lastManStanding: false,
      lastManStandingWindowMs: 10_000,
      autoTieBreaker: false,
      autoTieBreakerNode: { kind: "lowest" },
      arbiter: undefined,
    });
  });

  it("derives token_ms from heartbeat_ms and consensus_ms from token_ms when they are absent", () => {
    const config = parseConfig(`${MINIMAL}timing: { heartbeat_ms: 200 }\n`, "t.yaml");
    expect(config.timing).toEqual({ heartbeatMs: 200, tokenMs: 400, consensusMs: 480, joinMs: 50, echoMs: 20 });
  });

  it("turns two_node and wait_for_all off by default with three nodes", () => {
    const config = parseConfig(`${MINIMAL}  - { name: third, id: 30, links: [192.0.2.30] }\n`, "t.yaml");
    expect(config.quorum.twoNode).toBe(false);
    expect(config.quorum.waitForAll).toBe(false);
    expect(config.quorum.expectedVotes).toBe(3);
  });

  it("accepts on/off and yes/no for booleans", () => {
    expect(parseConfig(withLine(PAIR, 2, "transport: { crypto: off }"), "t.yaml").transport.crypto).toBe(false);
    expect(parseConfig(withLine(PAIR, 2, "transport: { crypto: yes }"), "t.yaml").transport.crypto).toBe(true);
    expect(parseConfig(withLine(PAIR, 2, "transport: { crypto: false }"), "t.yaml").transport.crypto).toBe(false);
  });

  it("reads an IPv6 arbiter written in brackets", () => {
    const text = withLine(PAIR, 6, `quorum: { two_node: true, arbiter: "[2001:db8::9]:7000" }`);
    expect(parseConfig(text, "t.yaml").quorum.arbiter).toEqual({ host: "2001:db8::9", port: 7000 });
  });

  it("gives an arbiter without a port the default arbiter port", () => {
    const text = withLine(PAIR, 6, `quorum: { arbiter: 10.20.0.9 }`);
    expect(parseConfig(text, "t.yaml").quorum.arbiter).toEqual({ host: "10.20.0.9", port: 5406 });
  });

  it("reads auto_tie_breaker_node as lowest, highest or a list of ids", () => {
    const three = `${MINIMAL}  - { name: third, id: 30, links: [192.0.2.30] }\n`;
    const tieBreaker = (value: string) =>
      parseConfig(`${three}quorum: { auto_tie_breaker: true, auto_tie_breaker_node: ${value} }\n`, "t.yaml").quorum.autoTieBreakerNode;
    expect(tieBreaker("highest")).toEqual({ kind: "highest" });
    expect(tieBreaker("[20, 10]")).toEqual({ kind: "list", nodeIds: [20, 10] });
    expect(tieBreaker("30")).toEqual({ kind: "list", nodeIds: [30] });
  });
});

describe("problems are reported at FILE:LINE:COLUMN", () => {
  it("points an unknown key at its own line and column, with a did-you-mean", () => {
    const text = withLine(PAIR, 7, "timing: { heartbeat_ms: 100, tokn_ms: 500 }");
    const lines = errorLines(text, "pair.yaml");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pair\.yaml:7:30: unknown key 'tokn_ms' in timing \(did you mean 'token_ms'/);
  });

  it("points a wrong type at the value", () => {
    const text = withLine(PAIR, 2, "transport: { port: fast, crypto: on }");
    expect(errorLines(text)).toEqual(["test.yaml:2:20: transport.port must be an integer from 1 to 65535, not the text 'fast'"]);
  });

  it("points a YAML syntax error at the place the parser stopped", () => {
    const lines = problemLines("cluster_name: x\nnodes: [a\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^test\.yaml:\d+:\d+: YAML: /);
  });

  it("refuses a second YAML document in the same file", () => {
    expect(errorLines(`${MINIMAL}---\ncluster_name: other\n`)).toEqual([
      "test.yaml:9:1: YAML: the file holds several documents (separated by '---'); a config is one document",
    ]);
  });

  it("lists problems in file order", () => {
    const text = withLine(withLine(PAIR, 7, "timing: { heartbeat_ms: 0 }"), 2, "transport: { port: 0 }");
    const lines = errorLines(text);
    expect(lines.map((line) => Number(line.split(":")[1]))).toEqual([2, 7]);
  });
});

describe("every problem is collected, not only the first", () => {
  it("reports problems in several sections at once", () => {
    const text = withLine(withLine(withLine(PAIR, 2, "transport: { port: 70000 }"), 5, "  - { name: beta, id: 1, links: [10.20.0.2, 172.16.9.2] }"), 8, "paths: { socket: relative }");
    expect(errorLines(text)).toHaveLength(3);
  });
});

describe("keys", () => {
  it("rejects an unknown top-level key", () => {
    expect(errorLines(`${MINIMAL}clustername: again\n`)[0]).toContain("unknown key 'clustername' at the top level (did you mean 'cluster_name'?)");
  });

  it("rejects an unknown key inside a node", () => {
    const text = withLine(PAIR, 4, "  - { name: alpha, id: 1, link: [10.20.0.1, 172.16.9.1] }");
    expect(errorLines(text)).toContain("test.yaml:4:27: unknown key 'link' in nodes[0] (did you mean 'links'?)");
  });

  it("requires cluster_name", () => {
    expect(errorLines(MINIMAL.replace("cluster_name: lab\n", ""))).toEqual(["test.yaml:1:1: missing required key 'cluster_name'"]);
  });

  it("requires nodes", () => {
    expect(errorLines("cluster_name: lab\n")[0]).toContain("missing required key 'nodes'");
  });

  it("requires a node's id, naming the node's position", () => {
    const text = withLine(MINIMAL, 7, "    id_: 20");
    expect(errorLines(text)).toContain("test.yaml:6:5: node nodes[1] is missing required key 'id'");
  });

  it("reports a repeated key", () => {
    expect(errorLines(`${MINIMAL}cluster_name: again\n`)[0]).toMatch(/^test\.yaml:9:1: YAML: Map keys must be unique/);
  });

  it("reports an empty file", () => {
    expect(errorLines("# nothing yet\n")).toEqual(["test.yaml:1:1: the file is empty: it needs at least cluster_name and nodes"]);
  });

  it("rejects a section that is not a mapping", () => {
    expect(errorLines(`${MINIMAL}timing: 100\n`)).toEqual(["test.yaml:9:9: timing must be a mapping of keys to values, not the number 100"]);
  });
});

describe("values", () => {
  it("rejects a node id of 0", () => {
    expect(errorLines(withLine(MINIMAL, 4, "    id: 0"))).toEqual(["test.yaml:4:9: nodes[0].id must be an integer from 1 to 65535, not the number 0"]);
  });

  it("rejects a node id above 65535", () => {
    expect(errorLines(withLine(MINIMAL, 4, "    id: 65536"))[0]).toContain("nodes[0].id must be an integer from 1 to 65535");
  });

  it("rejects a fractional number where an integer is needed", () => {
    expect(errorLines(`${MINIMAL}timing: { heartbeat_ms: 100.5 }\n`)[0]).toContain("timing.heartbeat_ms must be an integer");
  });

  it("rejects a crypto value that is not a boolean word", () => {
    expect(errorLines(withLine(PAIR, 2, "transport: { crypto: maybe }"))[0]).toContain("transport.crypto must be true or false");
  });

  it("rejects a node name with spaces", () => {
    expect(errorLines(withLine(MINIMAL, 3, "  - name: left node"))[0]).toContain("nodes[0].name 'left node' must be 1 to 63 letters");
  });

  it("asks for quotes around a numeric node name", () => {
    expect(errorLines(withLine(MINIMAL, 3, "  - name: 101"))).toEqual(["test.yaml:3:11: nodes[0].name must be text, not the number 101 (write it in quotes: '101')"]);
  });

  it("rejects a relative path", () => {
    expect(errorLines(`${MINIMAL}paths: { state_dir: var/lib/edgeha }\n`)).toEqual([
      "test.yaml:9:21: paths.state_dir must be an absolute path (starting with '/'), not 'var/lib/edgeha'",
    ]);
  });

  it("rejects a port of 0", () => {
    expect(errorLines(withLine(PAIR, 2, "transport: { port: 0 }"))[0]).toContain("transport.port must be an integer from 1 to 65535, not the number 0");
  });
});

describe("nodes and links", () => {
  it("rejects a duplicate node name, naming the first line", () => {
    const text = withLine(PAIR, 5, "  - { name: alpha, id: 2, links: [10.20.0.2, 172.16.9.2] }");
    expect(errorLines(text)).toEqual(["test.yaml:5:13: node name 'alpha' is used twice (first at line 4)"]);
  });

  it("rejects a duplicate node id", () => {
    const text = withLine(PAIR, 5, "  - { name: beta, id: 1, links: [10.20.0.2, 172.16.9.2] }");
    expect(errorLines(text)).toEqual(["test.yaml:5:23: node id 1 is used twice (first at line 4)"]);
  });

  it("rejects an address used by two nodes", () => {
    const text = withLine(PAIR, 5, "  - { name: beta, id: 2, links: [10.20.0.1, 172.16.9.2] }");
    expect(errorLines(text)).toEqual([
      "test.yaml:5:34: address 10.20.0.1 is used twice (first at line 4); every link of every node needs its own address",
    ]);
  });

  it("recognises two spellings of the same IPv6 address as a duplicate", () => {
    const text = withLine(withLine(PAIR, 4, "  - { name: alpha, id: 1, links: [2001:db8::1] }"), 5, "  - { name: beta, id: 2, links: [2001:db8:0:0::1] }");
    expect(errorLines(text)[0]).toContain("address 2001:db8:0:0::1 is used twice");
  });

  it("rejects nodes with different numbers of links", () => {
    const text = withLine(PAIR, 5, "  - { name: beta, id: 2, links: [10.20.0.2] }");
    expect(errorLines(text)).toEqual([
      "test.yaml:5:33: node 'beta' has 1 link but node 'alpha' has 2: link i of every node forms network i, so every node needs the same number of links",
    ]);
  });

  it("rejects a network whose links mix IPv4 and IPv6", () => {
    const text = withLine(PAIR, 5, "  - { name: beta, id: 2, links: [10.20.0.2, fd00::2] }");
    expect(errorLines(text)[0]).toContain("link 1 of node 'beta' is IPv6 but link 1 of node 'alpha' is IPv4");
  });

  it("rejects a node without links", () => {
    expect(errorLines(withLine(MINIMAL, 5, "    links: []"))[0]).toContain("nodes[0].links must list 1 to 8 addresses, not 0");
  });

  it("rejects a links key with nothing after it", () => {
    expect(errorLines(withLine(MINIMAL, 5, "    links:"))).toEqual(["test.yaml:5:5: nodes[0].links must list 1 to 8 addresses, not nothing"]);
  });

  it("rejects more than eight links", () => {
    const nine = Array.from({ length: 9 }, (_, index) => `10.9.${index}.1`).join(", ");
    expect(errorLines(withLine(MINIMAL, 5, `    links: [${nine}]`))[0]).toContain("must list 1 to 8 addresses, not 9");
  });

  it("rejects a host name as a link address", () => {
    expect(errorLines(withLine(MINIMAL, 5, "    links: [left.example.net]"))).toContain(
      "test.yaml:5:13: nodes[0].links[0]: 'left.example.net' is not an IPv4 or IPv6 address (host names are not accepted)",
    );
  });

  it("rejects a multicast link address", () => {
    expect(errorLines(withLine(MINIMAL, 5, "    links: [239.1.1.1]"))[0]).toContain("'239.1.1.1' is a multicast address");
  });

  it("accepts a single address without brackets as one link", () => {
    const text = withLine(withLine(MINIMAL, 5, "    links: 192.0.2.10"), 8, "    links: 192.0.2.20");
    expect(parseConfig(text, "t.yaml").nodes[0]!.links).toEqual(["192.0.2.10"]);
  });

  it("warns that one node alone has nothing to fail over to", () => {
    expect(warningLines("cluster_name: solo\nnodes:\n  - { name: only, id: 1, links: [192.0.2.1] }\n")).toEqual([
      "test.yaml:3:3: warning: only one node: there is nothing to fail over to",
    ]);
  });

  it("rejects more than 32 nodes", () => {
    const nodes = Array.from({ length: 33 }, (_, index) => `  - { name: n${index + 1}, id: ${index + 1}, links: [10.1.${index}.1] }`).join("\n");
    expect(errorLines(`cluster_name: big\nnodes:\n${nodes}\n`)).toEqual(["test.yaml:3:3: nodes lists 33 nodes; at most 32 are supported"]);
  });
});

describe("quorum", () => {
  const three = `${PAIR}`.replace("  - { name: beta", "  - { name: gamma, id: 3, links: [10.20.0.3, 172.16.9.3] }\n  - { name: beta");

  it("rejects two_node with three nodes", () => {
    expect(errorLines(three)).toEqual(["test.yaml:7:21: two_node needs exactly two nodes, but nodes lists 3"]);
  });

  it("rejects two_node with one node", () => {
    const one = "cluster_name: solo\nnodes:\n  - { name: only, id: 1, links: [192.0.2.1] }\nquorum: { two_node: true }\n";
    expect(errorLines(one)).toEqual(["test.yaml:4:21: two_node needs exactly two nodes, but nodes lists 1"]);
  });

  it("rejects expected_votes below the number of nodes", () => {
    const text = withLine(three, 7, "quorum: { expected_votes: 2 }");
    expect(errorLines(text)).toEqual(["test.yaml:7:27: expected_votes 2 is below the 3 nodes listed: each node has one vote"]);
  });

  it("rejects expected_votes other than 2 with two_node", () => {
    expect(errorLines(withLine(PAIR, 6, "quorum: { two_node: true, expected_votes: 3 }"))).toEqual(["test.yaml:6:43: two_node needs expected_votes 2, not 3"]);
  });

  it("rejects expected_votes that the nodes could never reach", () => {
    const text = withLine(three, 7, "quorum: { expected_votes: 7 }");
    expect(errorLines(text)[0]).toContain("expected_votes 7 needs 4 votes for quorum, but only 3 exist");
  });

  it("warns when wait_for_all is turned off in a two-node pair", () => {
    expect(warningLines(withLine(PAIR, 6, "quorum: { two_node: true, wait_for_all: off }"))).toEqual([
      "test.yaml:6:41: warning: wait_for_all is off with two_node: two nodes that boot without seeing each other may both start and fence each other",
    ]);
  });

  it("rejects an auto_tie_breaker_node id that no node has", () => {
    const text = withLine(PAIR, 6, "quorum: { auto_tie_breaker: true, auto_tie_breaker_node: [2, 7] }");
    expect(errorLines(text)).toEqual(["test.yaml:6:58: auto_tie_breaker_node names node id 7, which no node has"]);
  });

  it("rejects an auto_tie_breaker_node word other than lowest or highest", () => {
    const text = withLine(PAIR, 6, "quorum: { auto_tie_breaker: true, auto_tie_breaker_node: first }");
    expect(errorLines(text)[0]).toContain("auto_tie_breaker_node must be 'lowest', 'highest' or a list of node ids, not the text 'first'");
  });

  it("warns that auto_tie_breaker_node does nothing without auto_tie_breaker", () => {
    expect(warningLines(withLine(PAIR, 6, "quorum: { auto_tie_breaker_node: highest }"))[0]).toContain("has no effect unless auto_tie_breaker is true");
  });

  it("warns that last_man_standing_window_ms does nothing without last_man_standing", () => {
    expect(warningLines(withLine(PAIR, 6, "quorum: { last_man_standing_window_ms: 5000 }"))[0]).toContain("has no effect unless last_man_standing is true");
  });

  it("rejects an unbracketed IPv6 arbiter", () => {
    expect(errorLines(withLine(PAIR, 6, `quorum: { arbiter: "2001:db8::9:5406" }`))).toEqual([
      "test.yaml:6:20: quorum.arbiter: '2001:db8::9:5406' looks like an IPv6 address: write it in brackets, as [ADDRESS]:PORT",
    ]);
  });

  it("rejects an arbiter port out of range", () => {
    expect(errorLines(withLine(PAIR, 6, `quorum: { arbiter: "10.20.0.9:99999" }`))[0]).toContain("'99999' is not a port from 1 to 65535");
  });

  it("rejects an arbiter given as a host name", () => {
    expect(errorLines(withLine(PAIR, 6, `quorum: { arbiter: "witness:5406" }`))[0]).toContain("'witness' is not an IPv4 address");
  });

  it("rejects an arbiter on one of the nodes", () => {
    expect(errorLines(withLine(PAIR, 6, `quorum: { arbiter: "172.16.9.2:5406" }`))).toEqual([
      "test.yaml:6:20: the arbiter 172.16.9.2 is a link address of node 'beta': it must run on a third host",
    ]);
  });
});

describe("timing", () => {
  it("rejects token_ms below two heartbeats", () => {
    expect(errorLines(withLine(PAIR, 7, "timing: { heartbeat_ms: 300, token_ms: 500 }"))).toEqual([
      "test.yaml:7:40: token_ms 500 is less than 2 x heartbeat_ms (600): fewer than three probes would go out before a live node is declared dead and fenced",
    ]);
  });

  it("accepts token_ms of exactly two heartbeats", () => {
    expect(errorLines(withLine(PAIR, 7, "timing: { heartbeat_ms: 100, token_ms: 200 }"))).toEqual([]);
  });

  it("rejects consensus_ms not above token_ms", () => {
    expect(errorLines(withLine(PAIR, 7, "timing: { token_ms: 500, consensus_ms: 500, heartbeat_ms: 100 }"))).toEqual([
      "test.yaml:7:40: consensus_ms 500 must be greater than token_ms 500 (default: 1.2 x token_ms)",
    ]);
  });

  it("warns when consensus_ms is below 1.2 x token_ms", () => {
    expect(warningLines(withLine(PAIR, 7, "timing: { token_ms: 500, consensus_ms: 550 }"))[0]).toContain("consensus_ms 550 is below 1.2 x token_ms (600)");
  });

  it("rejects join_ms not below consensus_ms", () => {
    expect(errorLines(withLine(PAIR, 7, "timing: { join_ms: 1200 }"))[0]).toContain("join_ms 1200 must be less than consensus_ms 1200");
  });

  it("adds no relation errors when a timing value is itself unusable", () => {
    expect(errorLines(withLine(PAIR, 7, "timing: { heartbeat_ms: soon, token_ms: 20 }"))).toHaveLength(1);
  });
});

describe("crypto", () => {
  it("warns when crypto is off", () => {
    expect(warningLines(withLine(PAIR, 2, "transport: { crypto: off }"))).toEqual([
      "test.yaml:2:22: warning: crypto is off: frames are neither encrypted nor authenticated, so anyone on a link can disturb the cluster",
    ]);
  });
});

describe("parseConfig", () => {
  it("throws E_CONFIG_INVALID listing every error with its position", () => {
    const text = withLine(withLine(PAIR, 2, "transport: { port: 0 }"), 7, "timing: { beat_ms: 1 }");
    expect(() => parseConfig(text, "bad.yaml")).toThrowError(
      expect.objectContaining({ code: "E_CONFIG_INVALID", message: expect.stringMatching(/2 errors\):\nbad\.yaml:2:20: .*\nbad\.yaml:7:11: /) }),
    );
  });

  it("does not throw for warnings", () => {
    expect(parseConfig(withLine(PAIR, 2, "transport: { crypto: off }"), "t.yaml").transport.crypto).toBe(false);
  });
});

describe("watchdog.sbd_devices and watchdog.sbd_start_mode", () => {
  it("reads up to three sbd disks and the start mode (always by default)", () => {
    expect(parseConfig(`${MINIMAL}watchdog: { device: /dev/watchdog, sbd_devices: [/dev/disk/by-id/lun1, "iscsi://10.0.0.9:3260/iqn.2026-01.example:sbd/1"] }\n`, "t.yaml").watchdog)
      .toEqual({ device: "/dev/watchdog", timeoutSeconds: undefined, sbdDevices: ["/dev/disk/by-id/lun1", "iscsi://10.0.0.9:3260/iqn.2026-01.example:sbd/1"], sbdStartMode: "always" });
    expect(parseConfig(`${MINIMAL}watchdog: { device: /dev/watchdog, sbd_devices: [/dev/sdb], sbd_start_mode: clean }\n`, "t.yaml").watchdog?.sbdStartMode).toBe("clean");
    expect(parseConfig(`${MINIMAL}watchdog: { device: /dev/watchdog }\n`, "t.yaml").watchdog?.sbdDevices).toEqual([]);
  });

  it("refuses a relative path, four disks, an unknown start mode, and disks without a watchdog device", () => {
    expect(errorLines(`${MINIMAL}watchdog: { device: /dev/watchdog, sbd_devices: [sdb] }\n`).join("\n")).toMatch(/watchdog.sbd_devices\[0\] must be a \/dev path or iscsi:\/\/HOST:PORT\/TARGET-IQN\/LUN, not 'sdb'/);
    expect(errorLines(`${MINIMAL}watchdog: { device: /dev/watchdog, sbd_devices: [/dev/a, /dev/b, /dev/c, /dev/d] }\n`).join("\n")).toMatch(/lists one to three sbd disks \(as sbd allows\), not 4/);
    expect(errorLines(`${MINIMAL}watchdog: { device: /dev/watchdog, sbd_devices: [/dev/a], sbd_start_mode: never }\n`).join("\n")).toMatch(/must be 'always' or 'clean' \(sbd's SBD_STARTMODE\), not 'never'/);
    expect(errorLines(`${MINIMAL}watchdog: { sbd_devices: [/dev/a] }\n`).join("\n")).toMatch(/watchdog needs device/);
  });
});
