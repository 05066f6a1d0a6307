// The controller's seam (settings, inputs, effects) and its internal state: what every
// node keeps (the Context) and the role it plays, as a discriminated union. The role
// decides which step function handles an input (controller.ts).
import type { Cib, CibLineage, CibMark, ClusterOptions } from "../cib";
import { clusterOptionsAt } from "../scheduler";
import type { ScheduledAction, TransitionGraph } from "../scheduler";
import type { ClientReply, ClientRequest, ClusterSummary, ConfigurationConflict, ControllerMessage, FenceHistoryEntry, MigrationNodes, NodeReport, OperationName, TransitionRecord } from "./protocol";
import type { Transition } from "./transition";

export interface ControllerSettings {
  localId: number;
  nodes: ReadonlyArray<{ id: number; name: string }>;
  /** A node that starts without knowing a DC waits this long for one to announce itself. */
  electionWaitMs: number;
  /** Members that have not answered a join within this are left out of the cluster (and fenced if expected). */
  joinTimeoutMs: number;
  /** After a failed fence, wait this long before trying again. */
  fenceRetryMs: number;
  /** Re-run the scheduler at least this often (failure-timeout expiry, time-based rules). */
  recheckMs: number;
  /**
   * After losing quorum, hold what runs (start nothing, fence nothing) this long before
   * applying no-quorum-policy: with an arbiter, its vote for the new view takes a moment,
   * and the other side cannot start anything without quorum meanwhile. 0: act at once.
   */
  quorumGraceMs?: number;
  /**
   * A pair in two_node mode without an arbiter: each half of a split keeps quorum. Without
   * fencing, a half whose peer was lost (not a clean stop) then refuses configuration changes
   * until the peer rejoins or a person confirms it down (E_PEER_UNCONFIRMED).
   */
  twoNodeWithoutArbiter?: boolean;
  /**
   * This process's incarnation (the membership's: larger after every restart). The ids of the
   * requests it forwards to the DC start from it, so that the DC's late answer to a request an
   * earlier process of this node forwarded is never taken for the answer to one of this one's.
   */
  incarnation?: number;
}

export const CONTROLLER_DEFAULTS = { electionWaitMs: 1000, joinTimeoutMs: 5000, fenceRetryMs: 2000, recheckMs: 60_000 };

export type ControllerInput =
  /**
   * `incarnations`: each member's process incarnation as membership agreed it (larger after every
   * restart of its agent). A member fenced while in the view that is there again with a larger one
   * has rebooted and come back (corosync's CPG reports such a process as left and joined again).
   */
  | { kind: "view"; nowMs: number; ringId: number; members: number[]; quorate: boolean; incarnations?: Record<number, number> }
  | { kind: "quorum"; nowMs: number; quorate: boolean }
  /** `from` is the sender the transport authenticated; the message has passed parseControllerMessage. */
  | { kind: "message"; nowMs: number; from: number; message: ControllerMessage }
  | { kind: "tick"; nowMs: number; epochSeconds: number }
  /** The local node's resources changed (probe done, monitor result, operation done). */
  | { kind: "local-report"; nowMs: number; report: NodeReport }
  /** An operation the DC asked of this node ended. */
  | { kind: "local-op-done"; nowMs: number; transition: number; step: number; ringId: number; ok: boolean; reason?: string; report: NodeReport }
  /** A fencing this node ran (the `fence` effect with this id) ended; record: the fencer's final history record (device, executor, times). */
  | { kind: "fence-done"; nowMs: number; id: string; transition: number; step: number; target: string; ok: boolean; reason: string; epochSeconds: number; record?: Pick<FenceHistoryEntry, "device" | "executor" | "completedAtMs"> }
  | { kind: "client"; nowMs: number; clientId: number; request: ClientRequest }
  /**
   * The cluster's node list changed live (`cluster node add|remove`, applied to the bootstrap
   * config on every member): nodes added are known down (they have never run anything), nodes
   * removed are forgotten, and the DC plans again.
   */
  | { kind: "nodes"; nowMs: number; nodes: ReadonlyArray<{ id: number; name: string }> };

export type ControllerEffect =
  | { kind: "send"; to: number; message: ControllerMessage }
  /** Write the configuration durably (with its lineage: src/cib/lineage.ts) before performing the next effects. */
  | { kind: "persist"; cib: Cib; lineage?: CibLineage }
  /** Keep a copy of the configuration that lost a conflict, as a backup file beside the CIB. */
  | { kind: "keep-conflict"; cib: Cib; conflict: ConfigurationConflict }
  /** The configuration in force changed: probe every configured resource not yet probed, then report. */
  | { kind: "configure"; cib: Cib }
  /** params: the parameters resolved by the DC for this node (absent from an older DC: the node's own definition). */
  | { kind: "run"; transition: number; step: number; ringId: number; resource: string; operation: OperationName; notify?: Record<string, string>; migration?: MigrationNodes; formerHolderFenced?: boolean; params?: Record<string, string> }
  /**
   * Fence `target` through the fencer; the result comes back as a `fence-done` input with the same id.
   * transition 0: a person's request (stonith fence), not a step of a transition. byPerson: a
   * person's `stonith fence` (the fencer applies no priority-fencing-delay to it, as Pacemaker).
   */
  | { kind: "fence"; id: string; transition: number; step: number; target: string; action: "off" | "reboot" | "on"; cib: Cib; members: string[]; byPerson?: true }
  /** Stop the running fencing with this id (its node was confirmed down by hand); feed no `fence-done` for it. */
  | { kind: "fence-cancel"; id: string; target: string }
  /** The fence history changed: store it (the node's fence history file). */
  | { kind: "fence-history"; records: FenceHistoryEntry[] }
  /** operation/intervalMs: clear only the fail count of that operation (and the history only if it failed), as crm_resource --cleanup --operation does. */
  | { kind: "cleanup"; resource?: string; operation?: string; intervalMs?: number }
  | { kind: "reply"; clientId: number; reply: ClientReply }
  /** This node asked to leave and the DC has moved everything away: it may exit now. */
  | { kind: "may-exit" }
  /** The DC planned a transition: its scheduler input, graph and reason, for the flight recorder. */
  | { kind: "record-input"; transition: number; reason: string; nowSeconds: number; cib: Cib; graph: { actions: ScheduledAction[]; operations: TransitionGraph["operations"] }; steps: string[] }
  | { kind: "log"; level: "info" | "warn" | "error"; message: string; fields: Record<string, unknown> };

/** Who asked for a write: a local client, or a member that forwarded its client's request. */
export type WriteOrigin = { clientId: number } | { node: number; requestId: number };

/** A configuration the DC sent its members: answered when every member it waits for has stored it. */
export interface Write {
  waiting: Set<number>;
  /** Members that stored it (the DC included). */
  holders: Set<number>;
  /** Members that left the view, or did not answer in time, before storing it. */
  missed: string[];
  origin: WriteOrigin | undefined;
  version: string;
  /** The mark of the copy written (it becomes the DC's acknowledged mark once a quorum holds it). */
  mark: CibMark;
  sentMs: number;
  /** Sent with --force while the peer was lost and not confirmed down: stored on this half only. */
  forcedWithout?: string[];
}

/** What the DC keeps while it holds the role (through a join and after it). */
export interface DcState {
  ringId: number;
  /** The ring at which this node became DC. */
  since: number;
  /** The first ring in which this node was the DC of a quorate partition (undefined: never yet). */
  quorateSince: number | undefined;
  lastJoinSentMs: number;
  /** Members that answered this ring's join (the DC itself included). */
  acked: Set<number>;
  joinStartedMs: number;
  /** Reports by node name; always filed under the authenticated sender. */
  reports: Map<string, NodeReport>;
  transition: Transition | undefined;
  nextTransitionId: number;
  needPlan: boolean;
  /** Why the next plan runs (the reasons since the last one, oldest first, bounded). */
  planReasons: string[];
  lastPlanMs: number;
  fenceBlockedUntilMs: number;
  writes: Map<number, Write>;
  nextWriteId: number;
  /** Nodes where a stop failed (fencing on): unclean until fenced. */
  stopFailedNodes: Set<string>;
  /** Resources whose stop failed with fencing off: unmanaged until cleaned up. */
  blocked: Set<string>;
  /**
   * Nodes a transition unfenced ("fence on" done), with when (epoch seconds): the scheduler
   * sees them as #node-unfenced and unfences them no more. Forgotten when the node leaves the
   * view or is fenced, as Pacemaker's transient attribute is.
   */
  unfenced: Map<string, number>;
  /** Transitions that failed in a row with the same steps (see execution.ts). */
  futile: { signature: string; count: number } | undefined;
  /** No plan before this (the back-off after repeated failures, or the cap on the planning rate). */
  planNotBeforeMs: number;
  /** When the latest plans were made (at most PLANS_PER_WINDOW kept). */
  recentPlansMs: number[];
  /** The rate cap is holding plans back (logged once per episode). */
  throttled: boolean;
  /** The configurations members offered in this join (by node id), compared when it completes. */
  offers: Map<number, { cib: Cib; lineage: CibLineage | undefined }>;
  /** Client requests that arrived during the join, served in order once it is complete (bounded). */
  pending: Array<{ request: ClientRequest; origin: WriteOrigin }>;
  /** The fence history version last sent to each member (by id). */
  historySent: Map<number, number>;
}

/**
 * The role this node plays. `electing`: no DC known yet (waiting for one to announce
 * itself, or for the election wait to end). `follower`: a member of the DC `dc`, whose
 * claim to the role (claimOf) came with its join (undefined until that arrives).
 * `waitingSinceMs`: since when this follower waits for its DC's join in the current view (a DC
 * asks every member to join in each new view; one that does not is no longer a DC).
 * `dc-joining`: this node is the DC and collects the members' answers to its join.
 * `dc`: the join is complete; the DC plans and serves.
 */
export type Role =
  | { kind: "electing"; deadlineMs: number | undefined }
  | { kind: "follower"; dc: number; claim: number | undefined; waitingSinceMs?: number }
  | { kind: "dc-joining"; state: DcState }
  | { kind: "dc"; state: DcState };

export type DcRole = Extract<Role, { kind: "dc-joining" | "dc" }>;

/** What every node keeps, whatever its role. Mutated in place by the step functions. */
export interface Context {
  /** Changed only by a `nodes` input (the node list); the rest stays as the agent started it. */
  settings: ControllerSettings;
  role: Role;
  ringId: number;
  /** The members of the current view, sorted. */
  members: number[];
  quorate: boolean;
  /** A DC was known once: when it leaves, elect at once instead of waiting for an announcement. */
  knewDc: boolean;
  /** The configuration in force here (no status section). */
  cib: Cib;
  /** Where `cib` comes from (its chain ends with its own mark) and the newest change this node knows a quorum acknowledged. */
  lineage: CibLineage;
  localReport: NodeReport;
  /** Nodes that were members and have not left cleanly or been fenced since. */
  expectedUp: Set<string>;
  /**
   * Nodes whose state this node has learned since it started: seen in a view, reported by a
   * DC's summary as up or cleanly down, or fenced. The DC gives the others no status entry,
   * so with startup-fencing (the default) the scheduler fences them before it starts anything
   * they might run (Pacemaker's "unseen" nodes).
   */
  known: Set<string>;
  /** The last summary: computed here on the DC, received from the DC elsewhere. */
  summary: ClusterSummary | undefined;
  lastSentSummary: string;
  /** Recent transitions (this node's as DC, and those of the DC before it), oldest first, bounded. */
  transitionRecords: TransitionRecord[];
  /** Configuration conflicts resolved here or by the DC (bounded, newest last). */
  conflicts: ConfigurationConflict[];
  /** The cluster's fence history, oldest first (bounded): this node's copy, the DC's merged one on the DC. */
  fenceHistory: FenceHistoryEntry[];
  /** Bumped whenever fenceHistory changes (to store it and send it on). */
  fenceHistoryVersion: number;
  /** Fencings this node runs, by target: the id of each. */
  fencesRunning: Map<string, string>;
  /** People waiting for a fencing's end (stonith fence), by its id. */
  fenceWaiters: Map<string, WriteOrigin[]>;
  /** Nodes fenced (or confirmed down) while still in the view: offline until they leave it. */
  fencedInView: Set<string>;
  /** The incarnation each node of fencedInView had in the view when it was fenced (when known). */
  fencedIncarnations: Map<string, number>;
  /** Each member's incarnation in the current view (empty when the view input carries none). */
  incarnations: Record<number, number>;
  nextFenceId: number;
  epochSeconds: number;
  nextRequestId: number;
  /** Requests forwarded to the DC, by request id: the local client waiting for each. */
  forwarded: Map<number, number>;
  /** The ring in which this node (not the DC) last stored the configuration its DC sent: its copy is current since. */
  syncedRing: number | undefined;
  leaving: boolean;
  /** The latest time any input carried. */
  nowMs: number;
  quorumLostAtMs: number | undefined;
  graceOver: boolean;
}

/** Ring ids stay below this (48 bits, as on the wire of the membership). */
const RING_LIMIT = 2 ** 48;

/**
 * How old a DC's claim to the role is (smaller: older, stronger). A DC that has led a
 * quorate partition counts from the first ring in which it did; one that never had quorum
 * comes after every such DC, by the ring it became DC in. A node that restarts, elects
 * itself alone and then meets the DC that ran the cluster meanwhile therefore yields, even
 * when both partitions happened to number their rings alike.
 */
export function claimOf(state: DcState): number {
  return state.quorateSince ?? RING_LIMIT + state.since;
}

/** True when claim `left` of node `leftId` beats claim `right` of node `rightId`: older, then the lower id. */
export function claimWins(left: number, leftId: number, right: number, rightId: number): boolean {
  return left < right || (left === right && leftId < rightId);
}

/** The cluster options in force now, by the scheduler's rules (a cluster_property_set with a rule counts while its rule holds). */
export function optionsNow(context: Pick<Context, "cib" | "epochSeconds">, cib: Pick<Cib, "properties"> = context.cib): ClusterOptions {
  return clusterOptionsAt(cib, { now: context.epochSeconds }).options;
}

export function nameOf(context: Context, id: number): string {
  return context.settings.nodes.find((node) => node.id === id)?.name ?? `node-${id}`;
}

export function idOf(context: Context, name: string): number | undefined {
  return context.settings.nodes.find((node) => node.name === name)?.id;
}

export function localName(context: Context): string {
  return nameOf(context, context.settings.localId);
}

/** The DC's state when this node holds the role, joined or not. */
export function dcState(context: Context): DcState | undefined {
  return context.role.kind === "dc" || context.role.kind === "dc-joining" ? context.role.state : undefined;
}

/** The node this one takes for the DC, itself included; undefined while electing. */
export function currentDc(context: Context): number | undefined {
  switch (context.role.kind) {
    case "electing":
      return undefined;
    case "follower":
      return context.role.dc;
    case "dc-joining":
    case "dc":
      return context.settings.localId;
  }
}

export type Effects = ControllerEffect[];

export function log(out: Effects, level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}): void {
  out.push({ kind: "log", level, message, fields });
}

/** Quorum is lost but the grace has not run out: hold everything as it is. */
export function inQuorumGrace(context: Context): boolean {
  return !context.quorate && context.quorumLostAtMs !== undefined && context.nowMs - context.quorumLostAtMs < (context.settings.quorumGraceMs ?? 0);
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.toLowerCase());
}
