// `edgeha config reload` and SIGHUP: read the bootstrap file again and apply what may change
// while the agent runs (src/config/reload.ts decides what that is). A file with an error, or
// with any change that cannot be made live, is refused whole: nothing is applied and the
// running configuration stays as it was (keepalived's reload drops VIPs; ours changes nothing
// it does not have to). Every outcome is logged and answered with the reason.
import type { Logger } from "../common/log";
import { isEdgehaError } from "../common/errors";
import { checkConfigFile, describeReload, formatProblem, machineIdentity, planReload, sameAddress, type BootstrapConfig, type NodeConfig } from "../config";

export type ReloadOutcome =
  | { ok: true; applied: string[]; message: string }
  | { ok: false; code: string; error: string; details: string[] };

export interface ReloadTarget {
  configFile: string;
  nodeName: string;
  logger: Logger;
  running(): BootstrapConfig;
  /** Applies a checked config: membership (timing, links, arbiter), metrics, monitors. Throws when it cannot. */
  apply(next: BootstrapConfig, node: NodeConfig): Promise<void>;
  /** The addresses of this machine (default: its interfaces). */
  localAddresses?(): readonly string[];
}

/** Reads, checks, plans and applies a reload; never throws. */
export async function reloadBootstrap(target: ReloadTarget): Promise<ReloadOutcome> {
  const outcome = await attempt(target);
  if (outcome.ok) target.logger.info({ changes: outcome.applied }, outcome.message);
  else target.logger.warn({ code: outcome.code, details: outcome.details }, outcome.error);
  return outcome;
}

async function attempt(target: ReloadTarget): Promise<ReloadOutcome> {
  const file = target.configFile;
  const refuse = (code: string, error: string, details: string[] = []): ReloadOutcome => ({ ok: false, code, error, details });
  let check;
  try {
    check = checkConfigFile(file);
  } catch (error) {
    return refuse(isEdgehaError(error) ? error.code : "E_CONFIG_READ", `${error instanceof Error ? error.message : String(error)}; nothing was applied, the running configuration stays`);
  }
  if (!check.config) {
    const errors = check.problems.filter((problem) => problem.severity === "error").map((problem) => formatProblem(file, problem));
    return refuse("E_CONFIG_INVALID", `${file} has ${errors.length} ${errors.length === 1 ? "error" : "errors"}; nothing was applied, the running configuration stays`, errors);
  }
  const next = check.config;
  const plan = planReload(target.running(), next);
  if (plan.refused.length > 0) {
    return refuse("E_RELOAD_REFUSED", `${file} changes what cannot change while the agent runs; nothing was applied, the running configuration stays`, describeReload({ changes: plan.refused, refused: plan.refused }));
  }
  if (plan.changes.length === 0) return { ok: true, applied: [], message: `${file} is what runs already: nothing to apply` };
  const node = next.nodes.find((each) => each.name === target.nodeName)!;
  const local = target.localAddresses?.() ?? machineIdentity().localAddresses;
  // The whole of 127.0.0.0/8 is this machine's, though the interfaces list only 127.0.0.1.
  const foreign = node.links.filter((link) => !/^127\./.test(link) && !local.some((address) => sameAddress(address, link)));
  if (foreign.length > 0) return refuse("E_RELOAD_REFUSED", `${foreign.join(", ")} ${foreign.length === 1 ? "is" : "are"} not an address of this machine, so ${target.nodeName}'s links cannot move there; nothing was applied`);
  try {
    await target.apply(next, node);
  } catch (error) {
    return refuse("E_RELOAD_APPLY", `applying ${file} failed: ${error instanceof Error ? error.message : String(error)}; the changes before it may be in force, the others are not: check 'edgeha status' and fix the file`, describeReload(plan));
  }
  return { ok: true, applied: describeReload(plan), message: `reloaded ${file}: ${plan.changes.length} ${plan.changes.length === 1 ? "change" : "changes"} applied live` };
}
