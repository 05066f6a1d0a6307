// A small CIB for scheduler tests, written out in full: nodes, resources, constraints and each
// node's operation history. Nothing here is taken from Pacemaker's inputs; the tests that use it
// say which crm_simulate (Pacemaker 2.1.5) result each expectation was checked against.
import { importCibXml } from "../../../src/cib";
import { schedule, type GraphOperation } from "../../../src/scheduler";

export interface SmallCib {
  nodes?: string[];
  /** Extra cluster properties (nvpair elements); stonith-enabled is false unless given here. */
  properties?: string;
  resources: string;
  constraints?: string;
  /** Per node: the lrm_resource elements of its history. */
  history?: Record<string, string>;
  /** Per node: its utilization (capacity) attributes. */
  utilization?: Record<string, Record<string, string>>;
  /** Per node: transient attributes (fail counts ...). */
  transient?: Record<string, Record<string, string>>;
}

/** MD5 of " <parameters/>\n": the digest an executor records for a resource without parameters. */
const EMPTY_PARAMETERS_DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8";
const UUID = "0a6f6c1e-5d1b-4c1e-9d55-3f0e2b7a9c11";

/** One history record. `expected` is the result the controller expected (the transition-key's third field). */
export function record(resource: string, operation: string, options: { call: number; interval?: number; rc?: number; status?: number; expected?: number; id?: string; extra?: string }): string {
  const interval = options.interval ?? 0;
  const rc = options.rc ?? 0;
  const key = `${options.call}:1:${options.expected ?? 0}:${UUID}`;
  const id = options.id ?? `${resource}_${operation}_${interval}`;
  // A start or promote records the digest of its parameters; by default those of a resource with none.
  const digest = (operation === "start" || operation === "promote") && !(options.extra ?? "").includes("op-digest=") ? ` op-digest="${EMPTY_PARAMETERS_DIGEST}"` : "";
  return `<lrm_rsc_op id="${id}" operation_key="${resource}_${operation}_${interval}" operation="${operation}" call-id="${options.call}" rc-code="${rc}" op-status="${options.status ?? 0}" interval="${interval}" transition-key="${key}" transition-magic="${options.status ?? 0}:${rc};${key}" last-rc-change="1700000000"${digest}${options.extra ?? ""}/>`;
}

export function history(resource: string, records: string[], agent = `class="ocf" provider="heartbeat" type="Dummy"`): string {
  return `<lrm_resource id="${resource}" ${agent}>${records.join("")}</lrm_resource>`;
}

export function smallCibXml(spec: SmallCib): string {
  const nodes = spec.nodes ?? ["alder", "birch"];
  const state = (name: string, index: number) => {
    const transient = Object.entries(spec.transient?.[name] ?? {}).map(([key, value]) => `<nvpair id="t-${name}-${key}" name="${key}" value="${value}"/>`).join("");
    return `<node_state id="${index + 1}" uname="${name}" in_ccm="true" crmd="online" join="member" expected="member">${transient ? `<transient_attributes id="${index + 1}"><instance_attributes id="ta-${name}">${transient}</instance_attributes></transient_attributes>` : ""}<lrm id="${index + 1}"><lrm_resources>${spec.history?.[name] ?? ""}</lrm_resources></lrm></node_state>`;
  };
  const capacity = (name: string) => {
    const values = Object.entries(spec.utilization?.[name] ?? {}).map(([key, value]) => `<nvpair id="u-${name}-${key}" name="${key}" value="${value}"/>`).join("");
    return values ? `<utilization id="u-${name}">${values}</utilization>` : "";
  };
  return `<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" crm_feature_set="3.0.14" validate-with="pacemaker-3.7"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/>${spec.properties ?? ""}</cluster_property_set></crm_config>
<nodes>${nodes.map((name, index) => `<node id="${index + 1}" uname="${name}">${capacity(name)}</node>`).join("")}</nodes>
<resources>${spec.resources}</resources><constraints>${spec.constraints ?? ""}</constraints></configuration>
<status>${nodes.map(state).join("")}</status></cib>`;
}

export function scheduleSmall(spec: SmallCib): Record<string, unknown>[] {
  return schedule(importCibXml(smallCibXml(spec), "small.xml").cib, { now: 1800000000 }).actions as never as Record<string, unknown>[];
}

/** Whether `first` comes before `then` through the graph's ordering (directly or through others). */
export function before(operations: readonly GraphOperation[], first: GraphOperation, then: GraphOperation): boolean {
  const byId = new Map(operations.map((operation) => [operation.id, operation]));
  const pending = [...then.after];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (id === first.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...byId.get(id)!.after);
  }
  return false;
}
