// Repeated errors are logged once per window with a count, not once per occurrence: the
// first occurrence of a key in a window is logged at once, later ones are counted, and the
// next occurrence after the window says how many were held back. Bounded by key count.

export const KEYS_MAX = 1024;

export class RepeatLimiter {
  private readonly seen = new Map<string, { windowStartMs: number; suppressed: number }>();

  constructor(private readonly windowMs = 60_000) {}

  /** Whether to log this occurrence now, and how many of the same were held back before it. */
  admit(key: string, nowMs: number): { log: boolean; suppressed: number } {
    const entry = this.seen.get(key);
    if (!entry || nowMs - entry.windowStartMs >= this.windowMs) {
      const suppressed = entry?.suppressed ?? 0;
      if (!entry && this.seen.size >= KEYS_MAX) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(key, { windowStartMs: nowMs, suppressed: 0 });
      return { log: true, suppressed };
    }
    entry.suppressed++;
    return { log: false, suppressed: entry.suppressed };
  }
}
