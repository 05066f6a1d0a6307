// move, ban and clear, as crm_resource makes them: `move R N` adds the location
// cli-prefer-R (R on N at INFINITY) and lifts a ban of R from N; `ban R N` adds
// cli-ban-R-on-N (-INFINITY); `clear R [N]` removes those cli-* constraints.
import type { Cib, LocationConstraint } from "../cib";
import { EdgehaError } from "../common/errors";
// A location on a node the CIB does not know is reported by analysis.ts, after the edit.
import { requireResource, requireValidId } from "./lookup";

export function preferId(resource: string): string {
  return `cli-prefer-${resource}`;
}

export function banId(resource: string, node: string): string {
  return `cli-ban-${resource}-on-${node}`;
}

/** Nodes where the status section shows the resource (or a clone instance of it) active. */
export function activeNodes(cib: Cib, resource: string): string[] {
  const nodes: string[] = [];
  for (const node of cib.status) {
    for (const history of node.resources) {
      if (history.id !== resource && history.id.replace(/:\d+$/, "") !== resource) continue;
      const last = [...history.operations].filter((record) => record.operation !== "monitor" || record.rcCode !== 7).sort((left, right) => right.callId - left.callId)[0];
      const running = last !== undefined && last.opStatus === 0 && (last.rcCode === 0 || last.rcCode === 8) && last.operation !== "stop";
      if (running && !nodes.includes(node.uname)) nodes.push(node.uname);
    }
  }
  return nodes;
}

function putLocation(draft: Cib, location: LocationConstraint): void {
  const index = draft.constraints.findIndex((item) => item.id === location.id);
  if (index >= 0) draft.constraints[index] = location;
  else draft.constraints.push(location);
}

function requireMovable(draft: Cib, id: string, verb: string): void {
  const found = requireResource(draft, id);
  if (found.resource.kind === "clone") throw new EdgehaError("E_ADMIN_CLONE", `'${id}' is a clone and runs on several nodes; ${verb} it with 'edgeha resource ban' or a location constraint`);
}

export function moveResource(draft: Cib, id: string, node: string): string[] {
  requireMovable(draft, id, "place");
  requireValidId(preferId(id), "constraint");
  const warnings: string[] = [];
  const ban = banId(id, node);
  if (draft.constraints.some((item) => item.id === ban)) {
    draft.constraints = draft.constraints.filter((item) => item.id !== ban);
    warnings.push(`lifted the ban '${ban}' so '${id}' can move to '${node}'`);
  }
  putLocation(draft, { kind: "location", id: preferId(id), rsc: id, node, score: "INFINITY", role: "Started", rules: [], extra: {} });
  warnings.push(`'${id}' stays on '${node}' until you run 'edgeha resource clear ${id}'`);
  return warnings;
}

export function banResource(draft: Cib, id: string, node: string | undefined): string[] {
  requireResource(draft, id);
  let target = node;
  if (target === undefined) {
    const active = activeNodes(draft, id);
    if (active.length !== 1) {
      const where = active.length === 0 ? "is not known to run on any node" : `runs on ${active.join(", ")}`;
      throw new EdgehaError("E_ADMIN_ARGUMENT", `'${id}' ${where}: name the node to ban it from (edgeha resource ban ${id} NODE)`);
    }
    target = active[0]!;
  }
  requireValidId(banId(id, target), "constraint");
  const warnings: string[] = [];
  const prefer = draft.constraints.find((item) => item.id === preferId(id));
  if (prefer?.kind === "location" && prefer.node === target) {
    draft.constraints = draft.constraints.filter((item) => item !== prefer);
    warnings.push(`removed '${prefer.id}', which held '${id}' on '${target}'`);
  }
  putLocation(draft, { kind: "location", id: banId(id, target), rsc: id, node: target, score: "-INFINITY", role: "Started", rules: [], extra: {} });
  return warnings;
}

export function clearResource(draft: Cib, id: string, node: string | undefined): string[] {
  requireResource(draft, id);
  const matches = (item: Cib["constraints"][number]): boolean => {
    if (item.kind !== "location" || item.rsc !== id) return false;
    if (node !== undefined && item.node !== node) return false;
    return item.id === preferId(id) || item.id.startsWith(`cli-ban-${id}-on-`);
  };
  const removed = draft.constraints.filter(matches);
  draft.constraints = draft.constraints.filter((item) => !matches(item));
  if (removed.length === 0) return [`no move or ban constraints for '${id}'${node === undefined ? "" : ` on '${node}'`}: nothing to clear`];
  return removed.map((item) => `removed '${item.id}'`);
}
