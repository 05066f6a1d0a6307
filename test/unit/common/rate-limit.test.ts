import { describe, expect, it } from "vitest";
import { RepeatLimiter, KEYS_MAX } from "../../../src/common/rate-limit";
import { LogRing } from "../../../src/common/log-ring";

describe("repeated errors", () => {
  it("logs the first of a window, counts the rest, and reports the count with the next window's first", () => {
    const limiter = new RepeatLimiter(1000);
    expect(limiter.admit("vip monitor rc 7", 0)).toEqual({ log: true, suppressed: 0 });
    expect(limiter.admit("vip monitor rc 7", 10).log).toBe(false);
    expect(limiter.admit("vip monitor rc 7", 20).log).toBe(false);
    expect(limiter.admit("other", 30).log).toBe(true);
    expect(limiter.admit("vip monitor rc 7", 1500)).toEqual({ log: true, suppressed: 2 });
  });

  it("forgets the oldest key beyond its bound", () => {
    const limiter = new RepeatLimiter(1000);
    for (let index = 0; index <= KEYS_MAX; index++) limiter.admit(`key ${index}`, 0);
    expect(limiter.admit("key 0", 1).log).toBe(true);
    expect(limiter.admit(`key ${KEYS_MAX}`, 1).log).toBe(false);
  });
});

describe("the log ring", () => {
  it("keeps the newest lines within its bounds", () => {
    const ring = new LogRing(3, 1000);
    ring.write('{"a":1}\n{"a":2}\n');
    ring.write('{"a":3}\n');
    ring.write('{"a":4}\n');
    expect(ring.snapshot()).toEqual(['{"a":2}', '{"a":3}', '{"a":4}']);
    const small = new LogRing(100, 10);
    small.write("12345\n67890\nabcde\n");
    expect(small.snapshot()).toEqual(["67890", "abcde"]);
  });
});
