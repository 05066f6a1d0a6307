// applyEdit: one admin edit on a CIB, as one versioned change. The input is not
// modified. The result has the next configuration version (epoch + 1) when the
// configuration changed, the same CIB and a "no change" warning when it did not,
// and warnings for every constraint problem the edit introduced.
import { canonicalJson, nextConfigurationVersion, type Cib } from "../cib";
import { unreachable } from "../common/errors";
import { newConstraintProblems } from "./analysis";
import { colocationAdd, locationAdd, locationPrefers, orderAdd, removeConstraints } from "./constraints";
import { locationRule, ruleAdd, ruleRemove } from "./location-rules";
import { setProperties, unsetProperties } from "./cluster-options";
import { setNodeAttributes, setNodeFlag } from "./nodes";
import { writeDefaults } from "./operations";
import { banResource, clearResource, moveResource } from "./placement";
import { addToGroup, cloneResource, createResource, deleteResource, setTargetRole, updateResource } from "./resources";
import { addOperation, removeOperations } from "./resource-operations";
import { addSetConstraint, createTag, removeTags, setManaged, setUtilization } from "./scope";
import { addFencingLevel, createStonith, deleteStonith, removeFencingLevel } from "./stonith";
import type { AdminEdit, EditCatalog, EditResult } from "./types";
import { addRecipient, createAlert, deleteAlerts, removeRecipients, updateAlert, updateRecipient } from "./alerts";

/** The configuration sections: everything but the version, the <cib> attributes and the status. */
export function configurationOf(cib: Cib): Omit<Cib, "version" | "attributes" | "status"> {
  const { version: _version, attributes: _attributes, status: _status, ...configuration } = cib;
  // No alerts and an empty list of alerts are the same configuration.
  if (configuration.alerts !== undefined && configuration.alerts.length === 0) delete configuration.alerts;
  if (configuration.tags !== undefined && configuration.tags.length === 0) delete configuration.tags;
  return configuration;
}

function dispatch(draft: Cib, edit: AdminEdit, catalog: EditCatalog): string[] {
  switch (edit.kind) {
    case "resource-create": return createResource(draft, edit, catalog);
    case "resource-delete": return deleteResource(draft, edit.id, false);
    case "resource-update": return updateResource(draft, edit, catalog);
    case "op-add": return addOperation(draft, edit, catalog);
    case "op-remove": return removeOperations(draft, edit);
    case "utilization": return setUtilization(draft, edit);
    case "tag-create": return createTag(draft, edit);
    case "set-constraint": return addSetConstraint(draft, edit);
    case "tag-remove": return removeTags(draft, edit.ids);
    case "resource-manage": return setManaged(draft, edit.ids, edit.managed);
    case "resource-enable": return setTargetRole(draft, edit.id, true);
    case "resource-disable": return setTargetRole(draft, edit.id, false);
    case "resource-move": return moveResource(draft, edit.id, edit.node);
    case "resource-ban": return banResource(draft, edit.id, edit.node);
    case "resource-clear": return clearResource(draft, edit.id, edit.node);
    case "group-add": return addToGroup(draft, edit);
    case "clone": return cloneResource(draft, edit);
    case "location-prefers": return locationPrefers(draft, edit);
    case "location-add": return locationAdd(draft, edit);
    case "location-rule": return locationRule(draft, edit);
    case "rule-add": return ruleAdd(draft, edit);
    case "rule-remove": return ruleRemove(draft, edit);
    case "colocation-add": return colocationAdd(draft, edit);
    case "order-add": return orderAdd(draft, edit);
    case "constraint-remove": return removeConstraints(draft, edit);
    case "stonith-create": return createStonith(draft, edit, catalog);
    case "stonith-delete": return deleteStonith(draft, edit.id);
    case "stonith-level-add": return addFencingLevel(draft, edit);
    case "stonith-level-remove": return removeFencingLevel(draft, edit);
    case "node-flag": return setNodeFlag(draft, edit.node, edit.flag, edit.on);
    case "node-attribute": return setNodeAttributes(draft, edit.node, edit.values);
    case "defaults": return writeDefaults(draft, edit.section, edit.values);
    case "property-set": return setProperties(draft, edit.values, edit.force);
    case "property-unset": return unsetProperties(draft, edit.names);
    case "alert-create": return createAlert(draft, edit);
    case "alert-update": return updateAlert(draft, edit);
    case "alert-delete": return deleteAlerts(draft, edit.ids);
    case "alert-recipient-add": return addRecipient(draft, edit);
    case "alert-recipient-update": return updateRecipient(draft, edit);
    case "alert-recipient-remove": return removeRecipients(draft, edit.ids);
    default: return unreachable(edit, "admin edit");
  }
}

/** Wraps a finished draft: bumps the version when the configuration changed and adds constraint problems. */
export function finishEdit(before: Cib, draft: Cib, warnings: string[]): EditResult {
  if (canonicalJson(configurationOf(before)) === canonicalJson(configurationOf(draft))) {
    return { cib: before, warnings: [...warnings, "no change: the configuration already says this"], changed: false };
  }
  draft.version = nextConfigurationVersion(before.version);
  return { cib: draft, warnings: [...warnings, ...newConstraintProblems(before, draft)], changed: true };
}

/** Applies one edit. Throws EdgehaError (E_ADMIN_*, E_CIB_DURATION) for an edit that cannot be made. */
export function applyEdit(cib: Cib, edit: AdminEdit, catalog: EditCatalog = {}): EditResult {
  const draft = structuredClone(cib);
  const warnings = dispatch(draft, edit, catalog);
  return finishEdit(cib, draft, warnings);
}
