// Invalid controller messages are dropped with a log line that names the authenticated
// sender and the problem; a sender that keeps sending them costs one line per interval.
import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createLogger } from "../../../src/common/log";
import { DroppedMessages } from "../../../src/node/agent";

describe("dropped controller messages", () => {
  it("logs the first at once, then one line per sender every 10 s with the count dropped meanwhile", () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ destination: new Writable({ write: (chunk, _encoding, done) => { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } }) });
    let nowMs = 0;
    const dropped = new DroppedMessages(logger, () => nowMs, (id) => `n${id}`);
    // 1000 bad messages from n2 within 5 s, one from n3, then n2 again after 10 s.
    for (let index = 0; index < 1000; index++) {
      dropped.note(2, "join.ringId: not an integer");
      nowMs += 5;
    }
    dropped.note(3, "not JSON");
    nowMs = 10_000;
    dropped.note(2, "cib-ack.writeId: not an integer");
    expect(lines.map((line) => [line.msg, line.from, line.problem, line.droppedSinceLastLine])).toEqual([
      ["dropped an invalid controller message", "n2", "join.ringId: not an integer", 0],
      ["dropped an invalid controller message", "n3", "not JSON", 0],
      ["dropped an invalid controller message", "n2", "cib-ack.writeId: not an integer", 999],
    ]);
  });
});
