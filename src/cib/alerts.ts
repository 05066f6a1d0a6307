// Pacemaker's <alerts> section: alert agents (a program path, meta and instance attributes,
// an optional <select> of event kinds and attributes) and their recipients. Import, export
// and the typed model live here; running the agents is src/node/alerts.ts.
import type { Attributes, NvSet } from "./model";
import { children, child, type XmlElement, type XmlTree } from "./xml-tree";

export type AlertKind = "node" | "fencing" | "resource" | "attribute";
export const ALERT_KINDS: readonly AlertKind[] = ["node", "fencing", "resource", "attribute"];

/** <select>: which kinds reach the agent; absent means every kind. */
export interface AlertSelect {
  kinds: AlertKind[];
  /** With "attribute" selected: only these attribute names (empty: every attribute). */
  attributes: string[];
}

export interface AlertRecipient {
  id: string;
  value: string;
  description?: string;
  extra: Attributes;
  meta: NvSet[];
  instance: NvSet[];
}

export interface Alert {
  id: string;
  path: string;
  description?: string;
  extra: Attributes;
  meta: NvSet[];
  instance: NvSet[];
  select?: AlertSelect;
  recipients: AlertRecipient[];
}

interface ImportHelpers {
  nvSet(element: XmlElement): NvSet;
  required(element: XmlElement, attribute: string): string;
  warnOutOfScope(element: XmlElement, where: string): void;
}

function rest(attributes: Attributes, known: readonly string[]): Attributes {
  const extra: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (!known.includes(key)) extra[key] = value;
  return extra;
}

const SELECT_ELEMENTS: Record<string, AlertKind> = { select_nodes: "node", select_fencing: "fencing", select_resources: "resource", select_attributes: "attribute" };

function importSelect(element: XmlElement, helpers: ImportHelpers, where: string): AlertSelect {
  const select: AlertSelect = { kinds: [], attributes: [] };
  for (const item of element.children) {
    const kind = SELECT_ELEMENTS[item.name];
    if (!kind) {
      helpers.warnOutOfScope(item, where);
      continue;
    }
    select.kinds.push(kind);
    if (kind === "attribute") for (const attribute of children(item, "attribute")) select.attributes.push(helpers.required(attribute, "name"));
  }
  return select;
}

export function importAlerts(section: XmlElement, helpers: ImportHelpers): Alert[] {
  const alerts: Alert[] = [];
  for (const item of section.children) {
    if (item.name !== "alert") {
      helpers.warnOutOfScope(item, "alerts");
      continue;
    }
    const id = helpers.required(item, "id");
    const alert: Alert = {
      id, path: helpers.required(item, "path"), extra: rest(item.attributes, ["id", "path", "description"]),
      meta: children(item, "meta_attributes").map((set) => helpers.nvSet(set)),
      instance: children(item, "instance_attributes").map((set) => helpers.nvSet(set)),
      recipients: children(item, "recipient").map((recipient) => ({
        id: helpers.required(recipient, "id"), value: helpers.required(recipient, "value"),
        ...(recipient.attributes.description !== undefined ? { description: recipient.attributes.description } : {}),
        extra: rest(recipient.attributes, ["id", "value", "description"]),
        meta: children(recipient, "meta_attributes").map((set) => helpers.nvSet(set)),
        instance: children(recipient, "instance_attributes").map((set) => helpers.nvSet(set)),
      })),
    };
    if (item.attributes.description !== undefined) alert.description = item.attributes.description;
    const select = child(item, "select");
    if (select) alert.select = importSelect(select, helpers, `alert ${id}`);
    for (const other of item.children) if (!["meta_attributes", "instance_attributes", "recipient", "select"].includes(other.name)) helpers.warnOutOfScope(other, `alert ${id}`);
    alerts.push(alert);
  }
  return alerts;
}

type ElementMaker = (name: string, attributes: Record<string, string | undefined>, children?: XmlTree[]) => XmlTree;
type SetMaker = (name: string, set: NvSet) => XmlTree;

export function alertsToXml(alerts: readonly Alert[], element: ElementMaker, nvSet: SetMaker): XmlTree {
  return element("alerts", {}, alerts.map((alert) => {
    const items: XmlTree[] = [];
    if (alert.select) {
      const selected = ALERT_KINDS.filter((kind) => alert.select!.kinds.includes(kind)).map((kind) => {
        const name = Object.keys(SELECT_ELEMENTS).find((key) => SELECT_ELEMENTS[key] === kind)!;
        const attributes = kind === "attribute" ? alert.select!.attributes.map((attribute) => element("attribute", { id: `${alert.id}-select-${attribute}`, name: attribute })) : [];
        return element(name, {}, attributes);
      });
      items.push(element("select", {}, selected));
    }
    items.push(...alert.meta.map((set) => nvSet("meta_attributes", set)), ...alert.instance.map((set) => nvSet("instance_attributes", set)));
    for (const recipient of alert.recipients) {
      items.push(element("recipient", { id: recipient.id, value: recipient.value, description: recipient.description, ...recipient.extra }, [
        ...recipient.meta.map((set) => nvSet("meta_attributes", set)), ...recipient.instance.map((set) => nvSet("instance_attributes", set)),
      ]));
    }
    return element("alert", { id: alert.id, path: alert.path, description: alert.description, ...alert.extra }, items);
  }));
}
