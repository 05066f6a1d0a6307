// Pacemaker's duration syntax: a number with an optional unit (ms, msec, s, sec,
// m, min, h, hr; us and usec round to whole milliseconds), or ISO 8601 (PT1H2M3S). Plain numbers are seconds.
import { EdgehaError } from "../common/errors";

const UNIT_MS: Record<string, number> = { us: 0.001, usec: 0.001, ms: 1, msec: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000, "": 1000 };

export function parseDurationMs(text: string, where = "duration"): number {
  const value = text.trim();
  const plain = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value);
  if (plain) {
    const factor = UNIT_MS[plain[2]!.toLowerCase()];
    if (factor !== undefined) return Math.round(Number(plain[1]) * factor);
  }
  // Pacemaker also accepts the time part without its "T" (P40S).
  const iso = /^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(value);
  if (iso && value.length > 1) {
    const [, days, hours, minutes, seconds] = iso;
    return Math.round(((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * 60_000 + Number(seconds ?? 0) * 1000);
  }
  throw new EdgehaError("E_CIB_DURATION", `${where}: '${text}' is not a duration (examples: 10s, 500ms, 2min, PT1M)`);
}
