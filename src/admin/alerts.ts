// Alert agents and their recipients (<alerts>), edited as pcs does: `alert create path=PATH
// [id=ID] [description=TEXT] [options NAME=VALUE...] [meta NAME=VALUE...]`, `alert update`,
// `alert delete`, `alert recipient add/update/remove`. An empty value removes an option.
import type { Alert, AlertRecipient, Attributes, Cib } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { requireFreeId, uniqueId, writeValues } from "./lookup";
import { parseKeyValue } from "./parse";
import type { AdminEdit } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

/** The words of an alert command: its own NAME=VALUE fields, then `options ...` and `meta ...`. */
export interface AlertWords {
  fields: Attributes;
  options: Attributes;
  meta: Attributes;
}

/** Alert and recipient meta attributes Pacemaker reads. */
const ALERT_META = ["timeout", "timestamp-format", "enabled"];

export function parseAlertWords(words: readonly string[], fieldNames: readonly string[], where: string): AlertWords {
  const parsed: AlertWords = { fields: {}, options: {}, meta: {} };
  let mode: "fields" | "options" | "meta" = "fields";
  for (const word of words) {
    if (word === "options" || word === "meta") {
      mode = word;
      continue;
    }
    const [key, value] = parseKeyValue(word, mode === "fields" ? where : `${where} ${mode}`);
    if (mode === "fields" && !fieldNames.includes(key)) {
      throw new EdgehaError("E_ADMIN_ARGUMENT", `${where}: unknown field '${key}'${didYouMean(key, fieldNames)}; agent options go after 'options', meta attributes after 'meta'`);
    }
    if (mode === "meta" && value !== "" && !ALERT_META.includes(key)) {
      throw new EdgehaError("E_ADMIN_ARGUMENT", `${where}: unknown meta attribute '${key}'${didYouMean(key, ALERT_META)} (alerts know ${ALERT_META.join(", ")})`);
    }
    parsed[mode][key] = value;
  }
  return parsed;
}

function alertsOf(draft: Cib): Alert[] {
  return (draft.alerts ??= []);
}

function findAlert(draft: Cib, id: string): Alert {
  const alert = alertsOf(draft).find((item) => item.id === id);
  if (!alert) {
    const ids = alertsOf(draft).map((item) => item.id);
    throw new EdgehaError("E_ADMIN_UNKNOWN_ALERT", `no alert named '${id}'${ids.length === 0 ? " (the CIB has none)" : didYouMean(id, ids)}`, { alert: id });
  }
  return alert;
}

function findRecipient(draft: Cib, id: string): { alert: Alert; recipient: AlertRecipient } {
  for (const alert of alertsOf(draft)) {
    const recipient = alert.recipients.find((item) => item.id === id);
    if (recipient) return { alert, recipient };
  }
  const ids = alertsOf(draft).flatMap((alert) => alert.recipients.map((item) => item.id));
  throw new EdgehaError("E_ADMIN_UNKNOWN_ALERT", `no alert recipient named '${id}'${ids.length === 0 ? " (no alert has a recipient)" : didYouMean(id, ids)}`, { recipient: id });
}

function requirePath(path: string): void {
  if (!path.startsWith("/")) throw new EdgehaError("E_ADMIN_ARGUMENT", `alert path '${path}' must be absolute (it runs on every node, e.g. /usr/share/pacemaker/alerts/alert_file.sh.sample)`);
}

function apply(target: { instance: Alert["instance"]; meta: Alert["meta"] }, id: string, words: AlertWords): void {
  target.instance = writeValues(target.instance, `${id}-instance_attributes`, words.options);
  target.meta = writeValues(target.meta, `${id}-meta_attributes`, words.meta);
}

export function createAlert(draft: Cib, edit: Edit<"alert-create">): string[] {
  const path = edit.words.fields.path;
  if (path === undefined || path === "") throw new EdgehaError("E_ADMIN_ARGUMENT", "alert create needs path=PATH (the alert agent program)");
  requirePath(path);
  const id = edit.words.fields.id ?? uniqueId(draft, "alert");
  requireFreeId(draft, id, "alert");
  const alert: Alert = { id, path, extra: {}, meta: [], instance: [], recipients: [] };
  if (edit.words.fields.description) alert.description = edit.words.fields.description;
  apply(alert, id, edit.words);
  alertsOf(draft).push(alert);
  return [];
}

export function updateAlert(draft: Cib, edit: Edit<"alert-update">): string[] {
  const alert = findAlert(draft, edit.id);
  const { path, description } = edit.words.fields;
  if (path !== undefined) {
    requirePath(path);
    alert.path = path;
  }
  if (description !== undefined) {
    if (description === "") delete alert.description;
    else alert.description = description;
  }
  apply(alert, alert.id, edit.words);
  return [];
}

export function deleteAlerts(draft: Cib, ids: readonly string[]): string[] {
  for (const id of ids) findAlert(draft, id);
  draft.alerts = alertsOf(draft).filter((alert) => !ids.includes(alert.id));
  return [];
}

export function addRecipient(draft: Cib, edit: Edit<"alert-recipient-add">): string[] {
  const alert = findAlert(draft, edit.alert);
  const value = edit.words.fields.value;
  if (value === undefined || value === "") throw new EdgehaError("E_ADMIN_ARGUMENT", "alert recipient add needs value=VALUE (a file, an address: what the agent sends to)");
  const duplicate = alert.recipients.find((recipient) => recipient.value === value);
  if (duplicate && !edit.force) throw new EdgehaError("E_ADMIN_EXISTS", `alert '${alert.id}' already has recipient '${duplicate.id}' with value '${value}' (--force adds it again)`, { id: duplicate.id });
  const id = edit.words.fields.id ?? uniqueId(draft, `${alert.id}-recipient`);
  requireFreeId(draft, id, "alert recipient");
  const recipient: AlertRecipient = { id, value, extra: {}, meta: [], instance: [] };
  if (edit.words.fields.description) recipient.description = edit.words.fields.description;
  apply(recipient, id, edit.words);
  alert.recipients.push(recipient);
  return [];
}

export function updateRecipient(draft: Cib, edit: Edit<"alert-recipient-update">): string[] {
  const { recipient } = findRecipient(draft, edit.id);
  const { value, description } = edit.words.fields;
  if (value !== undefined) {
    if (value === "") throw new EdgehaError("E_ADMIN_ARGUMENT", "a recipient's value cannot be empty (remove the recipient instead)");
    recipient.value = value;
  }
  if (description !== undefined) {
    if (description === "") delete recipient.description;
    else recipient.description = description;
  }
  apply(recipient, recipient.id, edit.words);
  return [];
}

export function removeRecipients(draft: Cib, ids: readonly string[]): string[] {
  for (const id of ids) findRecipient(draft, id);
  for (const alert of alertsOf(draft)) alert.recipients = alert.recipients.filter((recipient) => !ids.includes(recipient.id));
  return [];
}

/** `alert config`: every alert with its recipients, as pcs prints them. */
export function describeAlerts(cib: Cib): string {
  const alerts = cib.alerts ?? [];
  if (alerts.length === 0) return "Alerts:\n No alerts defined\n";
  const values = (label: string, sets: Alert["meta"]): string[] => {
    const merged: Attributes = {};
    for (const set of sets) Object.assign(merged, set.values);
    const pairs = Object.entries(merged).map(([key, value]) => `${key}=${value}`);
    return pairs.length > 0 ? [`${label}: ${pairs.join(" ")}`] : [];
  };
  const lines = ["Alerts:"];
  for (const alert of alerts) {
    lines.push(` Alert: ${alert.id} (path=${alert.path})`);
    if (alert.description) lines.push(`  Description: ${alert.description}`);
    if (alert.select) lines.push(`  Select: ${alert.select.kinds.join(", ")}${alert.select.attributes.length ? ` (attributes ${alert.select.attributes.join(", ")})` : ""}`);
    lines.push(...values("  Options", alert.instance), ...values("  Meta options", alert.meta));
    if (alert.recipients.length > 0) lines.push("  Recipients:");
    for (const recipient of alert.recipients) {
      lines.push(`   Recipient: ${recipient.id} (value=${recipient.value})`);
      if (recipient.description) lines.push(`    Description: ${recipient.description}`);
      lines.push(...values("    Options", recipient.instance), ...values("    Meta options", recipient.meta));
    }
  }
  return `${lines.join("\n")}\n`;
}
