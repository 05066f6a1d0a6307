// The lifecycle parts of `status --json` (nodes, versions, misconfiguration), built by the real
// code that fills them, are held to docs/status.schema.json.
import { describe, expect, it } from "vitest";
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import path from "node:path";
import { statusJson } from "../../../src/cli/commands/cluster";
import { parseConfig } from "../../../src/config";
import { DropLedger } from "../../../src/transport";
import { encodeHello, initialAdverts, stepAdverts } from "../../../src/membership";
import { AdvertReporter, localAdvert } from "../../../src/node/peer-adverts";
import { silentLogger } from "../../../src/common/log";

const schema = JSON.parse(readFileSync(path.resolve(__dirname, "../../../docs/status.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

describe("status JSON: lifecycle fields", () => {
  it("validates nodes, versions with a differing peer and a silent one, and dropped frames", () => {
    const mine = parseConfig("cluster_name: c\nnodes:\n  - { name: a, id: 1, links: [10.0.0.1] }\n  - { name: b, id: 2, links: [10.0.0.2] }\n  - { name: d, id: 3, links: [10.0.0.3] }\n", "c.yaml");
    const theirs = parseConfig("cluster_name: c\ntiming: { token_ms: 1500 }\nnodes:\n  - { name: a, id: 1, links: [10.0.0.1] }\n  - { name: b, id: 2, links: [10.0.0.2] }\n  - { name: d, id: 3, links: [10.0.0.3] }\n", "c.yaml");
    let state = initialAdverts(1, localAdvert(mine, 1), [1, 2, 3]);
    state = stepAdverts(state, { kind: "heard", from: 2, incarnation: 5, nowMs: 0 }).state;
    state = stepAdverts(state, { kind: "hello", from: 2, incarnation: 5, body: encodeHello({ epoch: 1, ack: 1, advert: localAdvert(theirs, 1) }), nowMs: 1 }).state;
    const versions = new AdvertReporter(mine, 1, silentLogger()).status(state, [1, 2, 3]);
    expect(versions.warnings).toEqual([
      `b's bootstrap config differs from this node's in timing.token_ms (b's file sets 1500, this node's leaves it to its default, ${mine.timing.tokenMs}): the same file belongs on every node`,
      "d runs a build from before versioned protocols (or has not answered yet): the cluster speaks protocol 1 until every node is upgraded",
    ]);
    const drops = new DropLedger();
    drops.note("10.0.0.9", "auth", 0, 2);
    const value = statusJson({
      cluster: "c", node: { name: "a", id: 1 }, nodes: [{ name: "a", id: 1, member: true }, { name: "b", id: 2, member: true }, { name: "d", id: 3, member: true }],
      versions, misconfiguration: drops.recent(1), ringId: 2, members: [{ name: "a", id: 1, links: [{ address: "10.0.0.1", state: "local" }] }],
      quorum: { quorate: true, votes: 3, expected: 3, quorum: 2, flags: ["Quorate"] }, arbiter: { configured: false, state: "none" }, frames: { accepted: 1 },
      dc: "a", cluster_state: null, cibVersion: "0.1.0", agent: { pid: 1, rss: 1, heapUsed: 1, heapTotal: 1, external: 1 },
    });
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });
});
