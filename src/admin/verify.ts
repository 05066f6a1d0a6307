// `cluster verify`: crm_verify's checks on a configuration, as errors (the configuration
// is not valid: Pacemaker would refuse or ignore part of it) and warnings (what would not
// run, and why). Pure.
import { semanticProblems, type Cib, type RuleClock } from "../cib";
import { clusterOptionsAt, propertySetsAt } from "../scheduler";
import { constraintProblems } from "./analysis";
import { isStonith, resourcePlaces } from "./lookup";

export interface Verification {
  /** The configuration is not valid: Pacemaker refuses it or starts nothing. */
  errors: string[];
  /** Valid, but it cannot work as it stands (crm_verify: "config may not be valid"); exit non-zero too. */
  cautions: string[];
  /** What would not run, and why. */
  warnings: string[];
}

/** `clock`: when the rules of cluster property sets are evaluated (crm_verify evaluates them now). */
export function verifyCib(configured: Cib, clock: RuleClock): Verification {
  const errors = [...semanticProblems(configured)];
  // Property sets with rules as the scheduler reads them at that time; the rest as configured.
  const cib = { ...configured, properties: propertySetsAt(configured.properties, clock) };
  const { options, warnings } = clusterOptionsAt(cib, clock);
  if (options.stonithEnabled && !resourcePlaces(cib).some((place) => isStonith(place.resource))) {
    // Pacemaker's unpack_resources says the same three things and starts nothing.
    errors.push(
      "Resource start-up disabled since no STONITH resources have been defined",
      "Either configure some or disable STONITH with the stonith-enabled option",
      "NOTE: Clusters with shared data need STONITH to ensure data integrity",
    );
  }
  // Pacemaker counts a node with no state in the CIB as unclean (startup-fencing), and a
  // partition without quorum fences nobody unless no-quorum-policy=ignore: such a node
  // could never be fenced, which crm_verify reports (a CIB file taken offline, for one).
  const cautions: string[] = [];
  const quorate = ["1", "true"].includes((cib.attributes["have-quorum"] ?? "0").toLowerCase());
  if (options.stonithEnabled && options.startupFencing && !quorate && options.noQuorumPolicy !== "ignore") {
    for (const node of cib.nodes) {
      if (cib.status.some((state) => state.uname === node.uname || state.id === node.id)) continue;
      cautions.push(`node ${node.uname} has no state in the CIB, so it counts as unclean, but it cannot be fenced: the CIB says the cluster has no quorum (have-quorum) and no-quorum-policy is ${options.noQuorumPolicy}`);
    }
  }
  return { errors, cautions, warnings: [...warnings, ...constraintProblems(cib)] };
}
