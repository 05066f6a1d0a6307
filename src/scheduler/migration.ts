// Live migrations in the history, read as Pacemaker reads them (lib/pengine/unpack.c of
// Pacemaker 2.1.5): a migration is migrate_to on the source, then migrate_from on the
// target, then a stop on the source. When the history stops half-way, the resource may be
// active on both nodes, and the next transition continues the migration, stops it where it
// is left over ("dangling"), or recovers it:
// - migrate_to succeeded, migrate_from succeeded, no stop on the source yet: dangling: the
//   resource runs on the target and is stopped on the source;
// - migrate_to succeeded, migrate_from failed: active on the target too (if nothing newer
//   happened there), else failed (recovered, never migrated again in this transition);
// - migrate_to succeeded, no migrate_from (or one still running): a partial migration,
//   active on both; it continues if the target is still where the resource is to run;
// - migrate_to failed: active on the target too if its state there is known and nothing newer
//   happened there, else a stop on the source is still needed;
// - migrate_from failed: active on the source too if nothing newer happened there.
// A migration record that later operations superseded (newer start/stop/migrate, or a monitor
// that found it not running) no longer counts on that node.
import type { OperationRecord, ResourceHistory } from "../cib";
import { compareOperationAge } from "./history";

/** Every node's history of one resource, in status order. */
export type NodeHistories = Array<{ node: string; history: ResourceHistory }>;

/** What a migration record on one node means for the resource (see the file header). */
export type MigrationReading =
  | { kind: "superseded" }
  | { kind: "dangling" }
  | { kind: "active"; alsoOn?: string; partial?: { source: string; target: string }; failed?: boolean; danglingSource?: boolean };

const DONE = 0;
const PENDING = -1;

function recordsOn(histories: NodeHistories, node: string): OperationRecord[] | undefined {
  return histories.find((entry) => entry.node === node)?.history.operations;
}

/**
 * The first record (in the order the history lists them) of an operation on a node, for a
 * migration with `peer` (the target of a migrate_to, the source of a migrate_from), with
 * `rc` when given (and then completed).
 */
function findRecord(histories: NodeHistories, node: string, operation: string, peer: string | undefined, rc?: number): OperationRecord | undefined {
  const record = (recordsOn(histories, node) ?? []).find((each) => each.operation === operation
    && (peer === undefined || (operation === "migrate_to" ? each.attributes.migrate_target === peer : operation === "migrate_from" ? each.attributes.migrate_source === peer : true)));
  if (record === undefined || rc === undefined) return record;
  return record.rcCode === rc && record.opStatus === DONE ? record : undefined;
}

/**
 * Whether record `left` happened after `right` (Pacemaker's pe__is_newer_op): by call id on one
 * node, else by last-rc-change; a pending operation is the newer unless the transition keys say otherwise.
 */
function newer(left: OperationRecord, right: OperationRecord, sameNodeDefault: boolean): boolean {
  const leftNode = left.attributes.on_node;
  const rightNode = right.attributes.on_node;
  const sameNode = leftNode === undefined || rightNode === undefined ? sameNodeDefault : leftNode === rightNode;
  if (left.callId < 0 || right.callId < 0) return sameNode && compareOperationAge(left, right) > 0;
  if (sameNode && left.callId !== right.callId) return left.callId > right.callId;
  const changed = (record: OperationRecord) => { const value = Number(record.attributes["last-rc-change"]); return Number.isFinite(value) ? value : -1; };
  const [first, second] = [changed(left), changed(right)];
  return second >= 0 && first > second;
}

/** A start, stop or migration on the node after `record` (Pacemaker's non_monitor_after). */
function nonMonitorAfter(histories: NodeHistories, node: string, record: OperationRecord, sameNode: boolean): boolean {
  return (recordsOn(histories, node) ?? []).some((each) => each !== record && ["start", "stop", "migrate_to", "migrate_from"].includes(each.operation) && newer(each, record, sameNode));
}

/** Anything newer on the node than the migration (a non-monitor operation, or a monitor that found it not running). */
function newerStateAfterMigrate(histories: NodeHistories, node: string, migrateTo: OperationRecord | undefined, migrateFrom: OperationRecord | undefined): boolean {
  const reference = (migrateFrom ?? migrateTo)!;
  const source = reference.attributes.migrate_source;
  const target = reference.attributes.migrate_target;
  let compared = reference;
  let sameNode = false;
  // The migration record on the same node is preferred: call ids compare reliably there.
  if (node === target) {
    if (migrateFrom) { compared = migrateFrom; sameNode = true; } else compared = migrateTo!;
  } else if (node === source) {
    if (migrateTo) { compared = migrateTo; sameNode = true; } else compared = migrateFrom!;
  }
  if (nonMonitorAfter(histories, node, compared, sameNode)) return true;
  const notRunning = findRecord(histories, node, "monitor", undefined, 7);
  return notRunning !== undefined && newer(notRunning, compared, sameNode);
}

function unknownOn(histories: NodeHistories, node: string): boolean {
  return (recordsOn(histories, node) ?? []).length === 0;
}

/**
 * Reads a successful migrate_to recorded on `node` (its source). `online` tells whether a
 * node is up. Pacemaker's unpack_migrate_to_success.
 */
export function readMigrateToSuccess(histories: NodeHistories, node: string, record: OperationRecord, online: (name: string) => boolean): MigrationReading {
  const source = record.attributes.migrate_source;
  const target = record.attributes.migrate_target;
  if (source === undefined || target === undefined || source !== node) return { kind: "superseded" };
  const sourceNewer = nonMonitorAfter(histories, source, record, true);
  const migrateFrom = findRecord(histories, target, "migrate_from", source);
  if (sourceNewer && migrateFrom) return { kind: "superseded" };
  const targetNewer = newerStateAfterMigrate(histories, target, record, migrateFrom);
  if (sourceNewer && targetNewer) return { kind: "superseded" };
  if (migrateFrom && migrateFrom.rcCode === 0 && migrateFrom.opStatus === DONE) return { kind: "dangling" };
  if (migrateFrom && migrateFrom.opStatus !== PENDING) {
    if (!targetNewer && online(target)) return { kind: "active", alsoOn: target };
    return { kind: "active", failed: true };
  }
  // Pending, or done and erased: a partial migration, which may continue.
  if (!targetNewer && online(target)) return { kind: "active", alsoOn: target, ...(online(source) ? { partial: { source, target } } : {}) };
  return sourceNewer ? { kind: "active" } : { kind: "active", failed: true };
}

/** Reads a failed migrate_to recorded on `node` (its source). Pacemaker's unpack_migrate_to_failure. */
export function readMigrateToFailure(histories: NodeHistories, node: string, record: OperationRecord, online: (name: string) => boolean): MigrationReading {
  const source = record.attributes.migrate_source;
  const target = record.attributes.migrate_target;
  if (source === undefined || target === undefined || source !== node) return { kind: "active" };
  const migrateFrom = findRecord(histories, target, "migrate_from", source, 0);
  if (!unknownOn(histories, target) && !newerStateAfterMigrate(histories, target, record, migrateFrom)) return online(target) ? { kind: "active", alsoOn: target } : { kind: "active" };
  if (!nonMonitorAfter(histories, source, record, true)) return { kind: "active", danglingSource: true };
  return { kind: "active" };
}

/** Reads a failed migrate_from recorded on `node` (its target). Pacemaker's unpack_migrate_from_failure. */
export function readMigrateFromFailure(histories: NodeHistories, node: string, record: OperationRecord, online: (name: string) => boolean): MigrationReading {
  const source = record.attributes.migrate_source;
  const target = record.attributes.migrate_target;
  if (source === undefined || target === undefined || target !== node) return { kind: "active" };
  const migrateTo = findRecord(histories, source, "migrate_to", target, 0);
  if (!unknownOn(histories, source) && !newerStateAfterMigrate(histories, source, migrateTo, record) && online(source)) return { kind: "active", alsoOn: source };
  return { kind: "active" };
}
