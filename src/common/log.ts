// Logs: one JSON line per event on stdout (journald takes them from there), with a
// short human message and structured fields. Secrets never reach a log line: the
// redaction list below covers every field name we use for one, and callers must
// not put secrets into messages. Under systemd, each line starts with its syslog
// priority (`<4>` for a warning), which journald takes off and records, so that
// `journalctl -u edgeha -p warning` shows warnings and errors only.
import { fstatSync } from "node:fs";
import pino, { type Logger } from "pino";

export type { Logger };

/** Field names whose values are always replaced by "[secret]". */
export const SECRET_FIELDS = [
  "password",
  "passwd",
  "passwd_script",
  "key",
  "authkey",
  "secret",
  "kg",
  "hexadecimal_kg",
] as const;

const redactPaths = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** syslog priorities (RFC 5424) of pino's levels: trace and debug 7, info 6, warn 4, error 3, fatal 2. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/**
 * Whether stdout is the journal's stream: systemd sets JOURNAL_STREAM to the device and inode
 * of the socket it connects stdout to (systemd.exec(5)); a redirected stdout does not match.
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env, stat: () => { dev: number; ino: number } = () => fstatSync(1)): boolean {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? "");
  if (!match) return false;
  try {
    const { dev, ino } = stat();
    return String(dev) === match[1] && String(ino) === match[2];
  } catch {
    return false;
  }
}

/** A stream that puts each JSON line's syslog priority in front of it, as journald reads it. */
export function withSyslogPriority(destination: { write(line: string): unknown }): { write(line: string): void } {
  return {
    write(line: string) {
      // pino writes `{"level":30,...`: the level is the first field.
      const level = /^\{"level":(\d+)/.exec(line);
      destination.write(level ? `<${syslogPriority(Number(level[1]))}>${line}` : line);
    },
  };
}

const DAY_MS = 86_400_000;
const pad = (value: number, width: number) => String(value).padStart(width, "0");

/**
 * What Date.prototype.toISOString gives for a time (ms since the epoch, years 1970-9999), by
 * arithmetic: V8's toISOString looks up the local time zone and its name first, which faults
 * ~0.5 MiB of ICU's time-zone data into the agent for good (issue 21), for a UTC text.
 */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // The civil date of a day count, in 400-year eras of 146,097 days from 0000-03-01.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0);
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor((inDay % 3_600_000) / 60_000);
  const seconds = Math.floor((inDay % 60_000) / 1000);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(inDay % 1000, 3)}Z`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** What Date.prototype.toUTCString gives (HTTP's IMF-fixdate), by the same arithmetic as isoTime. */
export function httpDate(ms: number): string {
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(ms).toUTCString();
  const iso = isoTime(ms);
  const weekday = WEEKDAYS[(Math.floor(ms / DAY_MS) + 4) % 7]!;
  return `${weekday}, ${iso.slice(8, 10)} ${MONTHS[Number(iso.slice(5, 7)) - 1]!} ${iso.slice(0, 4)} ${iso.slice(11, 19)} GMT`;
}

export function createLogger(options: { name?: string; level?: string; destination?: NodeJS.WritableStream; journal?: boolean } = {}): Logger {
  const level = options.level ?? process.env.EDGEHA_LOG_LEVEL ?? "info";
  const settings = {
    name: options.name ?? "edgeha",
    level,
    base: { pid: process.pid },
    redact: { paths: redactPaths, censor: "[secret]" },
    timestamp: () => `,"time":"${isoTime(Date.now())}"`,
  };
  const toStdout = options.destination === undefined || options.destination === process.stdout;
  const journal = options.journal ?? (toStdout && stdoutIsJournal());
  // Synchronous writes: a line about to be followed by a fence or VIP action
  // must be on its way before that action starts (house style, rule 11).
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(settings, journal ? withSyslogPriority(destination) : destination);
}

/** A logger that drops everything, for pure-core tests and short CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
