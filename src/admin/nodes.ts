// Node edits: standby and maintenance (permanent node attributes, as
// `pcs node standby` writes them) and arbitrary node attributes.
import type { Attributes, Cib } from "../cib";
import { EdgehaError } from "../common/errors";
import { readValue, requireNode, writeValues } from "./lookup";

const ATTRIBUTE_NAME = /^[A-Za-z0-9_#.:-]+$/;

export function setNodeFlag(draft: Cib, name: string, flag: "standby" | "maintenance", on: boolean): string[] {
  const node = requireNode(draft, name);
  const was = readValue(node.instance, flag);
  writeValues(node.instance, `nodes-${node.id}`, { [flag]: on ? "on" : "" });
  if (!on && was === undefined) return [`node '${name}' was not in ${flag}`];
  return [];
}

export function setNodeAttributes(draft: Cib, name: string, values: Attributes): string[] {
  const node = requireNode(draft, name);
  if (Object.keys(values).length === 0) throw new EdgehaError("E_ADMIN_ARGUMENT", `name the attributes to set as NAME=VALUE (NAME= removes one) for node '${name}'`);
  for (const key of Object.keys(values)) {
    if (!ATTRIBUTE_NAME.test(key)) throw new EdgehaError("E_ADMIN_ARGUMENT", `'${key}' is not a valid node attribute name (letters, digits, '_', '-', '.', ':', '#')`);
  }
  const warnings = Object.entries(values)
    .filter(([key, value]) => value === "" && readValue(node.instance, key) === undefined)
    .map(([key]) => `node '${name}' has no attribute '${key}' to remove`);
  writeValues(node.instance, `nodes-${node.id}`, values);
  return warnings;
}
