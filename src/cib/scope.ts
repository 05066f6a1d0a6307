// Pacemaker features edgeha does not implement, refused on import: tickets (rsc_ticket,
// booth's ticket states), Pacemaker Remote and guest nodes, bundles, the container meta
// attribute, and the shutdown-lock cluster option. A CIB that uses one describes a cluster edgeha cannot run or schedule; computing
// a transition as if the element were not there would be silently wrong, so the whole CIB is
// refused with an error that names the element, where it is, and what is not supported.
import { EdgehaError } from "../common/errors";
import type { XmlElement } from "./xml-tree";

interface Finding { element: XmlElement; path: string[]; feature: string }

const REMOTE_META = ["remote-node", "remote-port", "remote-addr", "remote-connect-timeout", "remote-allow-migrate"];

function describe(element: XmlElement): string {
  const label = element.attributes.id ?? element.attributes.uname ?? element.attributes.name;
  return `<${element.name}${label !== undefined ? ` ${element.attributes.id !== undefined ? "id" : element.attributes.uname !== undefined ? "uname" : "name"}="${label}"` : ""}>`;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["true", "yes", "on", "y", "1"].includes(value.toLowerCase());
}

/** The first out-of-scope use in document order, if any. */
function find(element: XmlElement, path: string[], inMeta: boolean): Finding | undefined {
  const here = [...path, describe(element)];
  const found = (feature: string): Finding => ({ element, path, feature });
  switch (element.name) {
    case "rsc_ticket": return found("tickets (rsc_ticket constraints and booth)");
    case "tickets": if (path.some((part) => part.startsWith("<status"))) return found("tickets (the ticket states booth keeps in the status)"); break;
    case "bundle": return found("bundles (containers run by docker, podman or rkt)");
    case "primitive":
      if (element.attributes.class === "ocf" && element.attributes.provider === "pacemaker" && element.attributes.type === "remote") return found("Pacemaker Remote nodes (ocf:pacemaker:remote connections)");
      break;
    case "node": if (element.attributes.type === "remote") return found("Pacemaker Remote nodes (a node of type remote)"); break;
    case "node_state": if (isTrue(element.attributes.remote_node)) return found("Pacemaker Remote nodes (the status of a remote node)"); break;
    case "nvpair":
      // Locks need the controller to record each stop's lock in the history and to expire it: not implemented.
      if (element.attributes.name === "shutdown-lock" && isTrue(element.attributes.value) && path.some((part) => part.startsWith("<crm_config"))) return found("shutdown-lock (resources of a node that shut down cleanly held for it until shutdown-lock-limit)");
      if (!inMeta) break;
      if (REMOTE_META.includes(element.attributes.name ?? "")) return found(`guest nodes (the ${element.attributes.name} meta attribute)`);
      if (element.attributes.name === "container") return found("the container meta attribute (a resource run inside another)");
      break;
  }
  const meta = inMeta || element.name === "meta_attributes";
  for (const child of element.children) {
    const result = find(child, here, meta);
    if (result) return result;
  }
  return undefined;
}

/** Throws E_CIB_UNSUPPORTED when the CIB uses a Pacemaker feature outside edgeha's scope. */
export function refuseOutOfScope(root: XmlElement, fileName: string): void {
  const finding = find(root, [], false);
  if (!finding) return;
  const place = finding.path.slice(1).join(" > ") || "the root";
  throw new EdgehaError("E_CIB_UNSUPPORTED", `${fileName}: ${describe(finding.element)} in ${place}: edgeha does not support ${finding.feature}; it refuses this CIB rather than compute a transition as if that were not there`);
}
