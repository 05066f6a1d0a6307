import { describe, expect, it } from "vitest";
import { findLocalNode, machineIdentity, parseConfig } from "../../../src/config/index";
import { PAIR } from "./helpers";

const config = parseConfig(PAIR, "pair.yaml");

describe("findLocalNode", () => {
  it("takes the node named explicitly, whatever the host name", () => {
    const match = findLocalNode(config, { name: "beta", hostname: "alpha", localAddresses: ["10.20.0.1"] });
    expect(match.node.name).toBe("beta");
    expect(match.reason).toContain("named 'beta'");
  });

  it("refuses an explicit name that no node has, listing the nodes", () => {
    expect(() => findLocalNode(config, { name: "gamma", hostname: "alpha", localAddresses: [] })).toThrowError(
      expect.objectContaining({ code: "E_CONFIG_LOCAL_NODE", message: "no node is named 'gamma' in the config (nodes: alpha, beta)" }),
    );
  });

  it("takes the node whose name is the host name", () => {
    expect(findLocalNode(config, { hostname: "beta", localAddresses: ["10.20.0.1"] }).node.name).toBe("beta");
  });

  it("matches the short form of a fully qualified host name", () => {
    expect(findLocalNode(config, { hostname: "beta.rack4.example.net", localAddresses: [] }).node.name).toBe("beta");
  });

  it("takes the node that owns a local address when no name matches", () => {
    const match = findLocalNode(config, { hostname: "appliance-17", localAddresses: ["127.0.0.1", "172.16.9.2"] });
    expect(match.node.name).toBe("beta");
    expect(match.reason).toContain("172.16.9.2");
  });

  it("compares IPv6 addresses by value, not spelling", () => {
    const v6 = parseConfig(
      "cluster_name: v6\nnodes:\n  - { name: p, id: 1, links: [fd00:0:0:0::1] }\n  - { name: q, id: 2, links: [fd00::2] }\n",
      "v6.yaml",
    );
    expect(findLocalNode(v6, { hostname: "x", localAddresses: ["fd00::1"] }).node.name).toBe("p");
  });

  it("refuses when nothing matches", () => {
    expect(() => findLocalNode(config, { hostname: "elsewhere", localAddresses: ["192.0.2.1"] })).toThrowError(
      expect.objectContaining({ code: "E_CONFIG_LOCAL_NODE", message: expect.stringContaining("is none of the nodes alpha, beta") }),
    );
  });

  it("refuses when addresses of several nodes are local", () => {
    expect(() => findLocalNode(config, { hostname: "lab", localAddresses: ["10.20.0.1", "10.20.0.2"] })).toThrowError(
      expect.objectContaining({ code: "E_CONFIG_LOCAL_NODE", message: expect.stringContaining("several nodes (alpha, beta)") }),
    );
  });
});

describe("findLocalNode and host name case", () => {
  it("matches a host name written in other letter case", () => {
    expect(findLocalNode(config, { hostname: "BETA.Rack4.example.net", localAddresses: [] }).node.name).toBe("beta");
  });
});

describe("machineIdentity", () => {
  it("includes the loopback address among the local addresses", () => {
    expect(machineIdentity().localAddresses).toContain("127.0.0.1");
  });
});
