// Logs: one JSON line per event on stdout (journald takes them from there), with a
// short human message and structured fields. Secrets never reach a log line: the
// redaction list below covers every field name we use for one, and callers must
// not put secrets into messages.
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

export function createLogger(options: { name?: string; level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.EDGEHA_LOG_LEVEL ?? "info";
  const settings = {
    name: options.name ?? "edgeha",
    level,
    base: { pid: process.pid },
    redact: { paths: redactPaths, censor: "[secret]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(settings, options.destination);
  // Synchronous writes: a line about to be followed by a fence or VIP action
  // must be on its way before that action starts (house style, rule 11).
  return pino(settings, pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything, for pure-core tests and short CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
