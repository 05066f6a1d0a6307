import { describe, expect, it } from "vitest";
import { DropLedger, FrameCodec, FRAME_VERSION_MAX, FRAME_VERSION_MIN, DROP_LOG_INTERVAL_MS, SOURCES_MAX, type Frame } from "../../../src/transport";

const key = Buffer.from("0123456789abcdef0123456789abcdef-test-key");
const codec = (localId: number, cluster = "alpha", authkey = key) => new FrameCodec({ clusterName: cluster, authkey, knownSenders: [1, 2], localId });
const frame = (sequence: number, kind: Frame["kind"] = "message"): Frame => ({ senderId: 1, incarnation: 3, sequence, kind, body: Buffer.from("x") });

describe("frame header versions", () => {
  it("reads every layout version in its range and drops the others as 'version'", () => {
    const receiver = codec(2);
    const wire = codec(1).encode(frame(1));
    for (const version of [0, FRAME_VERSION_MIN - 1, FRAME_VERSION_MAX + 1, 255]) {
      const other = Buffer.from(wire);
      other[0] = version;
      expect(receiver.decode(other)).toMatchObject({ ok: false, reason: "version" });
    }
    expect(receiver.decode(wire).ok).toBe(true);
  });

  it("carries the hello kind, which a receiver tells from a message", () => {
    const decoded = codec(2).decode(codec(1).encode(frame(1, "hello")));
    expect(decoded.ok && decoded.frame.kind).toBe("hello");
  });

  it("accepts a sender added live, and drops one removed live", () => {
    const receiver = codec(2);
    const three = new FrameCodec({ clusterName: "alpha", authkey: key, knownSenders: [2, 3], localId: 3 });
    expect(receiver.decode(three.encode({ ...frame(1), senderId: 3 }))).toMatchObject({ ok: false, reason: "unknown-sender" });
    receiver.setKnownSenders([1, 2, 3]);
    expect(receiver.decode(three.encode({ ...frame(2), senderId: 3 })).ok).toBe(true);
    receiver.setKnownSenders([2, 3]);
    expect(receiver.decode(codec(1).encode(frame(5)))).toMatchObject({ ok: false, reason: "unknown-sender", claimedSender: 1 });
  });
});

describe("drop ledger", () => {
  it("counts authentication failures per source over the last minute and names the likely cause", () => {
    const ledger = new DropLedger();
    for (let index = 0; index < 120; index++) ledger.note("10.0.0.2", "auth", index * 400, 2);
    ledger.note("10.0.0.3", "cluster", 1000);
    const reports = ledger.recent(48_000);
    expect(reports.map((report) => report.message)).toEqual([
      "10.0.0.2: 120 frames failed authentication in the last minute: a different authkey?",
      "10.0.0.3: 1 frame for another cluster in the last minute: a different cluster_name, or a second cluster on the same port?",
    ]);
    // Two minutes later nothing is recent any more.
    expect(ledger.recent(200_000)).toEqual([]);
  });

  it("names the claimed id of an unknown sender and of a duplicate id", () => {
    const ledger = new DropLedger();
    ledger.note("10.0.0.9", "unknown-sender", 0, 7);
    ledger.note("10.0.0.8", "self", 0, 1);
    const messages = ledger.recent(1).map((report) => report.message).join("\n");
    expect(messages).toContain("from node id 7, which is not in this node's nodes list");
    expect(messages).toContain("claiming this node's own id 1");
  });

  it("asks for a log line at once for the first drop, then at most once per interval with the count", () => {
    const ledger = new DropLedger();
    const logged: Array<[number, number]> = [];
    for (let nowMs = 0; nowMs < 3 * DROP_LOG_INTERVAL_MS; nowMs += 100) {
      const report = ledger.note("10.0.0.2", "auth", nowMs);
      if (report) logged.push([nowMs, report.count]);
    }
    expect(logged.map(([atMs]) => atMs)).toEqual([0, DROP_LOG_INTERVAL_MS, 2 * DROP_LOG_INTERVAL_MS]);
    expect(logged[0]![1]).toBe(1);
    // A minute of drops every 100 ms, counted in 10-second buckets.
    expect(logged[1]![1]).toBeGreaterThanOrEqual(500);
    expect(logged[1]![1]).toBeLessThanOrEqual(601);
  });

  it("ignores loss and replays, which are not misconfiguration", () => {
    const ledger = new DropLedger();
    expect(ledger.note("10.0.0.2", "replay", 0)).toBeUndefined();
    expect(ledger.note("10.0.0.2", "short", 0)).toBeUndefined();
    expect(ledger.recent(1)).toEqual([]);
  });

  it("keeps at most SOURCES_MAX sources, forgetting the least recently heard", () => {
    const ledger = new DropLedger();
    for (let index = 0; index < SOURCES_MAX + 10; index++) ledger.note(`10.0.${index >> 8}.${index & 255}`, "auth", index);
    const sources = ledger.recent(SOURCES_MAX + 10).map((report) => report.source);
    expect(sources).toHaveLength(SOURCES_MAX);
    expect(sources).not.toContain("10.0.0.0");
    expect(sources).toContain(`10.0.0.${SOURCES_MAX + 9}`);
  });
});
