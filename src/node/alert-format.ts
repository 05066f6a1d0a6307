// The pure half of alerts: which alert agents an event reaches, the CRM_alert_* environment
// each run gets (Pacemaker's names and values), and timestamp-format (strftime plus
// Pacemaker's %N for fractions of a second). No processes here; src/node/alerts.ts runs them.
import { flattenSets, parseDurationMs, type Alert, type AlertKind, type AlertRecipient } from "../cib";

/** The Pacemaker release whose alert interface this follows (CRM_alert_version). */
export const ALERT_INTERFACE_VERSION = "2.1.5";
export const ALERT_TIMEOUT_DEFAULT_MS = 30_000;
export const TIMESTAMP_FORMAT_DEFAULT = "%H:%M:%S.%06N";

export type AlertEvent =
  | { kind: "node"; node: string; nodeId: number; state: "member" | "lost" }
  | { kind: "fencing"; target: string; task: string; rc: number; desc: string }
  | { kind: "resource"; node: string; resource: string; task: string; intervalMs: number; rc: number; targetRc: number; status: number; execTimeMs: number }
  | { kind: "attribute"; node: string; nodeId: number; name: string; value: string };

/** What one run of an alert agent is given. */
export interface AlertRun {
  alertId: string;
  recipientId: string;
  path: string;
  timeoutMs: number;
  env: Record<string, string>;
}

const EXIT_TEXT: Record<number, string> = {
  0: "OK", 1: "Error occurred", 2: "Invalid parameter", 3: "Unimplemented", 4: "Insufficient privileges", 5: "Not installed",
  6: "Not configured", 7: "Not running", 8: "Promoted", 9: "Failed in promoted role",
};
/** Pacemaker's execution statuses (PCMK_EXEC_*). */
export const EXEC_STATUS = { done: 0, cancelled: 1, timeout: 2, notSupported: 3, error: 4, errorHard: 5, errorFatal: 6, notInstalled: 7 } as const;
const STATUS_TEXT: Record<number, string> = { 1: "Cancelled", 2: "Timed Out", 3: "Unsupported", 4: "Error", 5: "Hard error", 6: "Fatal error", 7: "Not installed" };

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * strftime in local time for the usual conversions, plus %N: fractions of a second, %3N
 * or %03N for milliseconds, %6N for microseconds (Pacemaker's extension; default 9 digits).
 */
export function formatTimestamp(format: string, epochMicroseconds: number): string {
  const date = new Date(Math.floor(epochMicroseconds / 1000));
  const micros = epochMicroseconds % 1_000_000;
  const offset = -date.getTimezoneOffset();
  return format.replace(/%(0?)(\d*)([a-zA-Z%])/g, (whole, _zero: string, digits: string, letter: string) => {
    switch (letter) {
      case "N": {
        const width = digits === "" ? 9 : Math.min(9, Math.max(1, Number(digits)));
        return pad(micros * 1000, 9).slice(0, width);
      }
      case "Y": return String(date.getFullYear());
      case "y": return pad(date.getFullYear() % 100, 2);
      case "m": return pad(date.getMonth() + 1, 2);
      case "d": return pad(date.getDate(), 2);
      case "e": return String(date.getDate()).padStart(2, " ");
      case "H": return pad(date.getHours(), 2);
      case "I": return pad(((date.getHours() + 11) % 12) + 1, 2);
      case "p": return date.getHours() < 12 ? "AM" : "PM";
      case "M": return pad(date.getMinutes(), 2);
      case "S": return pad(date.getSeconds(), 2);
      case "j": return pad(Math.floor((date.getTime() - new Date(date.getFullYear(), 0, 1).getTime()) / 86_400_000) + 1, 3);
      case "a": return DAYS[date.getDay()]!.slice(0, 3);
      case "A": return DAYS[date.getDay()]!;
      case "b": case "h": return MONTHS[date.getMonth()]!.slice(0, 3);
      case "B": return MONTHS[date.getMonth()]!;
      case "s": return String(Math.floor(epochMicroseconds / 1_000_000));
      case "z": return `${offset >= 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offset) / 60), 2)}${pad(Math.abs(offset) % 60, 2)}`;
      case "F": return `${date.getFullYear()}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}`;
      case "T": return `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}`;
      case "R": return `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}`;
      case "D": return `${pad(date.getMonth() + 1, 2)}/${pad(date.getDate(), 2)}/${pad(date.getFullYear() % 100, 2)}`;
      case "%": return "%";
      default: return whole;
    }
  });
}

function enabled(text: string | undefined): boolean {
  return text === undefined || !["false", "no", "off", "0", "n"].includes(text.toLowerCase());
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return ALERT_TIMEOUT_DEFAULT_MS;
  try {
    const value = parseDurationMs(/^\d+$/.test(text) ? `${text}s` : text, "timeout");
    return value > 0 ? Math.min(value, 600_000) : ALERT_TIMEOUT_DEFAULT_MS;
  } catch {
    return ALERT_TIMEOUT_DEFAULT_MS;
  }
}

function selects(alert: Alert, event: AlertEvent): boolean {
  if (!alert.select) return true;
  if (!alert.select.kinds.includes(event.kind)) return false;
  if (event.kind === "attribute" && alert.select.attributes.length > 0) return alert.select.attributes.includes(event.name);
  return true;
}

/** The variables that describe the event, by Pacemaker's names (CRM_alert_*). */
export function eventVariables(event: AlertEvent): Record<string, string> {
  switch (event.kind) {
    case "node":
      return { CRM_alert_node: event.node, CRM_alert_nodeid: String(event.nodeId), CRM_alert_desc: event.state };
    case "fencing":
      return { CRM_alert_node: event.target, CRM_alert_task: event.task, CRM_alert_desc: event.desc, CRM_alert_rc: String(event.rc) };
    case "resource":
      return {
        CRM_alert_node: event.node, CRM_alert_rsc: event.resource, CRM_alert_task: event.task, CRM_alert_interval: String(event.intervalMs),
        CRM_alert_target_rc: String(event.targetRc), CRM_alert_status: String(event.status), CRM_alert_rc: String(event.rc), CRM_alert_exec_time: String(Math.round(event.execTimeMs)),
        CRM_alert_desc: event.status === EXEC_STATUS.done ? (EXIT_TEXT[event.rc] ?? "Unknown") : (STATUS_TEXT[event.status] ?? "Unknown"),
      };
    case "attribute":
      return { CRM_alert_node: event.node, CRM_alert_nodeid: String(event.nodeId), CRM_alert_attribute_name: event.name, CRM_alert_attribute_value: event.value };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Whether Pacemaker would alert at all: never for a probe that found what it expected. */
export function worthAlerting(event: AlertEvent): boolean {
  return !(event.kind === "resource" && event.task === "monitor" && event.intervalMs === 0 && event.rc === event.targetRc);
}

/**
 * One run per recipient of every enabled alert that selects the event (one run with no
 * recipient when an alert has none, as Pacemaker does), in configuration order.
 */
export function alertRuns(alerts: readonly Alert[], event: AlertEvent, sequence: number, epochMicroseconds: number): AlertRun[] {
  if (!worthAlerting(event)) return [];
  const runs: AlertRun[] = [];
  const variables = eventVariables(event);
  for (const alert of alerts) {
    const alertMeta = flattenSets(alert.meta);
    if (!enabled(alertMeta.enabled) || !selects(alert, event)) continue;
    const recipients: Array<AlertRecipient | undefined> = alert.recipients.length > 0 ? alert.recipients : [undefined];
    for (const recipient of recipients) {
      const meta = { ...alertMeta, ...flattenSets(recipient?.meta ?? []) };
      if (!enabled(meta.enabled)) continue;
      const select = alert.select;
      const env: Record<string, string> = {
        ...flattenSets(alert.instance), ...flattenSets(recipient?.instance ?? []),
        CRM_alert_version: ALERT_INTERFACE_VERSION, CRM_alert_kind: event.kind, CRM_alert_recipient: recipient?.value ?? "",
        CRM_alert_node_sequence: String(sequence), CRM_alert_timestamp: formatTimestamp(meta["timestamp-format"] ?? TIMESTAMP_FORMAT_DEFAULT, epochMicroseconds),
        CRM_alert_timestamp_epoch: String(Math.floor(epochMicroseconds / 1_000_000)), CRM_alert_timestamp_usec: String(epochMicroseconds % 1_000_000),
        ...(select ? { CRM_alert_select_kind: select.kinds.join(","), CRM_alert_select_attribute_name: select.attributes.join(",") } : {}),
        ...variables,
      };
      runs.push({ alertId: alert.id, recipientId: recipient?.id ?? "", path: alert.path, timeoutMs: timeoutOf(meta.timeout), env });
    }
  }
  return runs;
}
