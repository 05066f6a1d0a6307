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

export function createLogger(options: { name?: string; level?: string; destination?: NodeJS.WritableStream; journal?: boolean } = {}): Logger {
  const level = options.level ?? process.env.EDGEHA_LOG_LEVEL ?? "info";
  const settings = {
    name: options.name ?? "edgeha",
    level,
    base: { pid: process.pid },
    redact: { paths: redactPaths, censor: "[secret]" },
    timestamp: pino.stdTimeFunctions.isoTime,
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
