// A peer whose bootstrap file writes other timing keys is named key by key, with both values,
// from the timing its advert carries in clear; a peer of a build whose advert has only the
// digests (no names) is still understood, and said in the words that build allowed.
import { describe, expect, it } from "vitest";
import { parseConfig, type BootstrapConfig } from "../../../src/config";
import { decodeHello, encodeHello, initialAdverts, stepAdverts, type Advert } from "../../../src/membership";
import { AdvertReporter, localAdvert } from "../../../src/node/peer-adverts";
import { silentLogger } from "../../../src/common/log";

const NODES = "nodes:\n  - { name: a, id: 1, links: [10.0.0.1] }\n  - { name: b, id: 2, links: [10.0.0.2] }\n";
const configWith = (timing: string): BootstrapConfig => parseConfig(`cluster_name: c\n${timing}${NODES}`, "c.yaml");

/** The warnings node a (with `mine`) shows once b announced `theirs`. */
function warningsOf(mine: BootstrapConfig, theirs: Advert): string[] {
  let state = initialAdverts(1, localAdvert(mine, 1), [1, 2]);
  state = stepAdverts(state, { kind: "heard", from: 2, incarnation: 5, nowMs: 0 }).state;
  state = stepAdverts(state, { kind: "hello", from: 2, incarnation: 5, body: encodeHello({ epoch: 1, ack: 1, advert: theirs }), nowMs: 1 }).state;
  return new AdvertReporter(mine, 1, silentLogger()).status(state, [1, 2]).warnings;
}

describe("peer adverts: timing differences named", () => {
  it("names a timing key one file sets and the other leaves to its default, with both values", () => {
    const mine = configWith("");
    const theirs = configWith("timing: { token_ms: 1500 }\n");
    expect(mine.timing.tokenMs).not.toBe(1500);
    expect(warningsOf(mine, localAdvert(theirs, 1))).toEqual([
      `b's bootstrap config differs from this node's in timing.token_ms (b's file sets 1500, this node's leaves it to its default, ${mine.timing.tokenMs}): the same file belongs on every node`,
    ]);
    // The other way round: this node's file sets it.
    expect(warningsOf(theirs, localAdvert(mine, 1))).toEqual([
      `b's bootstrap config differs from this node's in timing.token_ms (this node's file sets 1500, b's leaves it to its default, ${mine.timing.tokenMs}): the same file belongs on every node`,
    ]);
  });

  it("names a timing key both files set to different values with both values", () => {
    expect(warningsOf(configWith("timing: { heartbeat_ms: 200 }\n"), localAdvert(configWith("timing: { heartbeat_ms: 300 }\n"), 1))).toEqual([
      "b's bootstrap config differs from this node's in timing.heartbeat_ms (b's file sets 300, this node's 200): the same file belongs on every node",
    ]);
  });

  it("carries the written keys and the values in force in clear, through the hello", () => {
    const advert = localAdvert(configWith("timing: { token_ms: 1500 }\n"), 1);
    expect(advert.timing?.written).toEqual(["token_ms"]);
    expect(advert.timing?.values.token_ms).toBe(1500);
    const decoded = decodeHello(encodeHello({ epoch: 1, ack: null, advert }));
    expect(decoded.ok && decoded.hello.advert.timing).toEqual(advert.timing);
    const malformed = Buffer.from(JSON.stringify({ v: 1, epoch: 1, ack: null, advert: { ...advert, timing: { written: "token_ms", values: {} } } }));
    expect(decodeHello(malformed)).toEqual({ ok: false, reason: "timing" });
  });

  it("still understands a peer whose advert has the digests only (the build before the names), in the words it allows", () => {
    const { timing: _names, ...older } = localAdvert(configWith("timing: { token_ms: 1500 }\n"), 1);
    const decoded = decodeHello(encodeHello({ epoch: 1, ack: null, advert: older }));
    expect(decoded.ok && decoded.hello.advert.timing).toBeUndefined();
    expect(warningsOf(configWith(""), older)).toEqual([
      "b's bootstrap config differs from this node's in timing (a key one file sets and the other leaves to its default): the same file belongs on every node",
    ]);
  });
});
