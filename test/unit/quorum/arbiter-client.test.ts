import { describe, expect, it } from "vitest";
import { arbiterDeadlineMs, holdsVote, initialArbiterClient, replyReceived, requestDue, requestSent } from "../../../src/quorum";

describe("arbiter client", () => {
  it("asks every request interval and wakes for the next request", () => {
    let client = initialArbiterClient(250);
    expect(requestDue(client, 0)).toBe(true);
    client = requestSent(client, 1000);
    expect(requestDue(client, 1249)).toBe(false);
    expect(arbiterDeadlineMs(client, 1000)).toBe(1250);
  });

  it("counts a grant only for the view it names and only within the safe part of the lease", () => {
    let client = requestSent(initialArbiterClient(250), 1000);
    client = replyReceived(client, { granted: true, members: [1], ringId: 7, leaseMs: 2000, sentAtMs: 1000 });
    expect(holdsVote(client, [1], 7, 1100)).toBe(true);
    expect(holdsVote(client, [1], 8, 1100)).toBe(false);
    expect(holdsVote(client, [1, 2], 7, 1100)).toBe(false);
    // 0.8 x 2000 ms after the request was sent, the arbiter may already grant the other side.
    expect(holdsVote(client, [1], 7, 2600)).toBe(false);
    expect(arbiterDeadlineMs(requestSent(client, 2000), 2100)).toBe(2250);
    expect(arbiterDeadlineMs(requestSent(client, 1000), 1100)).toBe(1250);
    expect(arbiterDeadlineMs({ ...client, requestEveryMs: 5000 }, 1100)).toBe(2600);
  });

  it("a refusal does not take away a grant still running", () => {
    let client = replyReceived(initialArbiterClient(250), { granted: true, members: [2], ringId: 3, leaseMs: 2000, sentAtMs: 0 });
    client = replyReceived(client, { granted: false, members: [2], ringId: 3, leaseMs: 2000, sentAtMs: 250 });
    expect(holdsVote(client, [2], 3, 500)).toBe(true);
  });
});
