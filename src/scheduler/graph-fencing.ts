// Fencing in the graph (pass 9, graph.ts): fences one after another, starts after fences, the
// stops fencing implies, and unfencing before what needs it.
import { flattenSets, type Primitive } from "../cib";
import type { Builder, Draft } from "./graph-builder";
import { baseId, truthy, type Decisions, type PlacementUnit } from "./types";

/**
 * Fencing: without concurrent-fencing the fences run one after another, the DC's last; every
 * start and promote of a resource that requires fencing waits for every fence, and a start of
 * one that requires only quorum waits for the fencing of a node where its state is unknown.
 */
export function orderFencing(decisions: Decisions, builder: Builder, fences: Draft[]): void {
  if (fences.length === 0) return;
  const dcId = decisions.cib.attributes["dc-uuid"];
  const dcName = dcId === undefined ? undefined : decisions.cib.nodes.find((node) => node.id === dcId)?.uname;
  const ordered = [...fences.filter((fence) => fence.node !== dcName), ...fences.filter((fence) => fence.node === dcName)];
  const concurrent = truthy(flattenSets(decisions.cib.properties)["concurrent-fencing"]);
  for (let index = 1; index < ordered.length; index++) {
    if (!concurrent) builder.order(ordered[index - 1]!, ordered[index]!);
    else if (ordered[index]!.node === dcName) builder.orderAll(ordered.slice(0, index), [ordered[index]!]);
  }
  orderStopsAfterFencing(decisions, builder, fences);
  const known = new Map(decisions.cib.status.map((status) => [status.uname, new Set(status.resources.map((entry) => entry.id))]));
  for (const unit of decisions.units) for (const member of unit.members) {
    const starts = [...builder.of(member.id, "start"), ...builder.of(member.id, "promote"), ...builder.of(member.id, "migrate_to"), ...builder.of(member.id, "migrate_from")];
    if (starts.length === 0) continue;
    const requires = requirement(decisions, unit, member);
    for (const fence of fences) {
      // edgeha's safety invariant 5 is stricter than Pacemaker's "requires": nothing but a
      // fencing device starts anywhere before every fence is confirmed, whatever it requires.
      if (requires === "fencing" || member.class !== "stonith") { builder.orderAll([fence], starts); continue; }
      if (requires !== "quorum") continue;
      if (!knownOn(decisions, unit, member, known.get(fence.node), fence.node)) builder.orderAll([fence], builder.of(member.id, "start"));
    }
  }
}

/**
 * A stop that fencing implies, of a resource that requires fencing, is done once the fence is
 * (Pacemaker's order_stop_vs_fencing): it comes after the fence, and so does the stop of the
 * resource's top-level group or clone, which every stop of its members waits for; so a clone's
 * instance stopping on a healthy node waits for the fencing of a node where another ran. The
 * implied stop of a resource that requires only quorum or nothing (a fencing device) waits for
 * nothing: the fence makes it true, but nothing after it has to wait.
 */
function orderStopsAfterFencing(decisions: Decisions, builder: Builder, fences: Draft[]): void {
  const membersOfClone = new Map<string, string[]>();
  for (const unit of decisions.units) if (unit.clone) membersOfClone.set(unit.clone.id, [...(membersOfClone.get(unit.clone.id) ?? []), ...unit.members.map((member) => member.id)]);
  for (const fence of fences) for (const unit of decisions.units) {
    const implied = unit.members.filter((member) => builder.of(member.id, "stop").some((stop) => stop.implied === true && stop.node === fence.node) && requirement(decisions, unit, member) === "fencing");
    if (implied.length === 0) continue;
    const top = unit.clone ? membersOfClone.get(unit.clone.id)! : unit.members.map((member) => member.id);
    builder.orderAll([fence], top.flatMap((member) => builder.of(member, "stop")));
  }
}

/**
 * Whether the state of `member` on `node` is known from that node's history (Pacemaker's
 * rsc_is_known_on): a primitive or a unique instance by its own entry; an anonymous instance by
 * the entry that went to it, or, as an instance of a cloned primitive (not of a cloned group,
 * which may be known only in part), by the entry of any instance.
 */
function knownOn(decisions: Decisions, unit: PlacementUnit, member: Primitive, history: ReadonlySet<string> | undefined, node: string): boolean {
  if (unit.clone === undefined || !unit.clone.anonymous) return history?.has(member.id) === true;
  if (decisions.states.get(member.id)?.knownOn?.includes(node) === true) return true;
  const clone = decisions.cib.resources.find((resource) => resource.id === unit.clone!.id);
  return clone?.kind === "clone" && clone.child.kind !== "group" && [...(history ?? [])].some((id) => baseId(id) === baseId(member.id));
}

/**
 * Unfencing (Pacemaker's pcmk__order_vs_unfence): a node's "fence on" comes before every
 * start, promote and migrate_from there of a fencing device and of every resource that needs
 * unfencing (requires=unfencing, or no requires once a device provides unfencing); what
 * says requires=quorum, nothing or fencing does not wait for it, nor does anything elsewhere.
 */
export function orderUnfencing(decisions: Decisions, builder: Builder): void {
  const unfences = builder.operations.filter((operation) => operation.kind === "fence" && operation.fenceAction === "on");
  if (unfences.length === 0) return;
  for (const unit of decisions.units) for (const member of unit.members) {
    const requires = ({ ...flattenSets(decisions.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase();
    if (member.class !== "stonith" && requires !== "" && requires !== "unfencing") continue;
    const gains = [...builder.of(member.id, "start"), ...builder.of(member.id, "promote"), ...builder.of(member.id, "migrate_from")];
    for (const unfence of unfences) builder.orderAll([unfence], gains.filter((operation) => operation.node === unfence.node));
  }
}

/** What starting a resource requires: fencing (the default with fencing enabled), quorum (fencing devices), or nothing. */
function requirement(decisions: Decisions, unit: PlacementUnit, member: Primitive): "fencing" | "quorum" | "nothing" {
  const requires = ({ ...flattenSets(decisions.cib.rscDefaults), ...unit.meta, ...flattenSets(member.meta) }.requires ?? "").toLowerCase();
  if (requires === "nothing") return "nothing";
  if (!decisions.cluster.stonithEnabled) return requires === "quorum" || requires === "" ? "quorum" : "nothing";
  if (requires === "quorum" || (requires === "" && member.class === "stonith")) return "quorum";
  return "fencing";
}
