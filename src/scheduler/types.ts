// Types shared by the scheduler's passes: the actions and graph it returns, node and
// resource states, the units it places, and each pass's output. Also the small helpers of
// Pacemaker's arithmetic (scores with INFINITY) and of its boolean and role spellings.
import type { Cib, ClusterOptions, ColocationConstraint, LocationConstraint, Primitive, ResourceHistory } from "../cib";
import type { NodeAttributes } from "./rules";

export const INFINITY = 1_000_000;

export interface ScheduledAction {
  action: "start" | "stop" | "move" | "migrate" | "recover" | "restart" | "reload" | "fence" | "promote" | "demote" | "re-promote";
  resource?: string;
  node?: string;
  from?: string;
  to?: string;
  kind?: string;
  /** Promotable clone instances: the role kept by this action, or the role change. */
  role?: "Promoted" | "Unpromoted";
  from_role?: "Stopped" | "Promoted" | "Unpromoted";
  to_role?: "Promoted" | "Unpromoted" | "Started";
  reason: string;
  /** The action is needed but cannot be carried out (an unrunnable dependency, ...). */
  blocked?: boolean;
  /** A migration that continues one left half-way: its migrate_to is done already. */
  partial?: boolean;
  /** A restart of a resource known Stopped where it is thought active: only its start runs. */
  startOnly?: boolean;
}

export type OperationKind = "fence" | "start" | "stop" | "promote" | "demote" | "notify" | "migrate_to" | "migrate_from";

/** One operation of the transition graph the DC runs (see graph.ts). */
export interface GraphOperation {
  /** Its index in the graph's operations. */
  id: number;
  kind: OperationKind;
  node: string;
  resource?: string;
  /** Fence operations: off or reboot; "on" unfences the node (devices with provides=unfencing let it in). */
  fenceAction?: "off" | "reboot" | "on";
  /** Operations (ids) that must be done first. */
  after: number[];
  reason: string;
  /** Notify operations: the notify_* meta values (type, operation, who starts, stops, ...). */
  notify?: Record<string, string>;
  /** migrate_to and migrate_from: the node the resource leaves and the one it goes to. */
  migration?: { source: string; target: string };
}

export interface TransitionGraph {
  actions: ScheduledAction[];
  /** The operations the DC runs and their ordering; operations not ordered may run in parallel. */
  operations: GraphOperation[];
  /** Allocation scores per resource and node, for --show-scores. */
  scores: Record<string, Record<string, number>>;
  /** Why some summary actions are not in `operations` (an ordering loop held back, see cycles.ts). */
  warnings?: string[];
}

export interface NodeState {
  name: string;
  online: boolean;
  unclean: boolean;
  standby: boolean;
  /** Node in maintenance: what runs there is left alone, nothing new goes there. */
  maintenance?: boolean;
  /** The node asked to shut down: it keeps no resources. */
  shuttingDown: boolean;
  /** In the membership but not ready to run resources (it has not joined yet): nothing can be probed there. */
  pending?: boolean;
  /** Why an unclean node must be fenced, when its membership entry tells. */
  uncleanReason?: string;
  /** Attributes rules can test: #uname, #id, #kind, then the node's own and transient ones. */
  attributes: NodeAttributes;
}

export interface ResourceState {
  /** Nodes where the resource is active (it may be active on more than one). */
  activeOn: string[];
  /** Nodes whose history holds a start still in flight (operation status pending, -1). */
  startPendingOn?: string[];
  /** Nodes where its last operation failed. */
  failedOn: string[];
  /** Nodes where the last start failed: with start-failure-is-fatal the resource is banned there. */
  startFailedOn: string[];
  /** Nodes where an operation returned a hard error (not installed, not configured, invalid parameter). */
  bannedOn: string[];
  /** Nodes where it is active in the Promoted role (promotable clones). */
  promotedOn?: string[];
  /** The operation whose failure is current, per node (decides on-fail). */
  failures?: Record<string, { operation: string; intervalMs: number; hard?: boolean; notInstalled?: boolean; recovered?: boolean; since?: number; later?: { operation: string; intervalMs: number; hard?: boolean; notInstalled?: boolean }[] }>;
  /** The id its history carries per node, where it differs (anonymous clone instances: "rsc" or "rsc:N"). */
  historyIds?: Record<string, string>;
  /** The history entries (per node) that leave it active: a node may hold several entries of one id, each read alone. */
  activeEntries?: ResourceHistory[];
  /** Anonymous clone instances: nodes where a history entry (running or not) went to this instance. */
  knownOn?: string[];
  /** A failed operation of it was taken as a success (on-fail=ignore): its migration-threshold no longer applies. */
  failureIgnored?: boolean;
  /** Nodes where the last failure was recorded for parameters the configuration no longer gives: its fail count no longer counts. */
  failuresClearedOn?: string[];
  /** When the hard error that bans a node happened (last-rc-change, seconds), for failure-timeout. */
  bannedSince?: Record<string, number>;
  /** A migration that stopped half-way (migrate_to done, migrate_from not): active on both, it may continue. */
  partialMigration?: { source: string; target: string };
  /** Sources of a migration that completed but was not stopped there yet: a stop is due there. */
  danglingOn?: string[];
  /** Nodes taken to be active only because a migration may have left it there. */
  migratedOn?: string[];
  /** A migration failed: the resource is recovered and does not migrate in this transition. */
  migrationFailed?: boolean;
  /** Active (as far as anyone knows) only where a migration left it, and known Stopped: it is started there again. */
  roleStopped?: boolean;
}

/** Saturating addition of scores, as Pacemaker does: -INFINITY wins over +INFINITY. */
export function addScores(left: number, right: number): number {
  if (left <= -INFINITY || right <= -INFINITY) return -INFINITY;
  if (left >= INFINITY || right >= INFINITY) return INFINITY;
  return Math.max(-INFINITY, Math.min(INFINITY, left + right));
}

export function isFalse(value: string | undefined): boolean {
  return value !== undefined && ["false", "off", "no", "n", "0"].includes(value.toLowerCase());
}

export function truthy(value: string | undefined): boolean {
  return value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.toLowerCase());
}

export interface PlacementUnit {
  /** Unit id: the primitive, the group, or a clone instance ("child:N"). */
  id: string;
  members: Primitive[];
  meta: Record<string, string>;
  /** Ids constraints may name to reach this unit (group, clone child, clone). */
  owners: string[];
  /** Constraint ids reaching one member: itself, its base id in a clone, and the unit's owners. */
  ownersOf: (member: Primitive) => string[];
  /** Active but no longer configured (or beyond clone-max): it only stops. */
  orphan?: boolean;
  clone?: {
    id: string; nodeMax: number; anonymous: boolean; instance: number; bases: string[]; promotable?: { max: number; nodeMax: number };
    /** The cloned group's id, when the clone's child is a group (each instance is a copy of the group). */
    group?: string;
  };
}

export interface FailureEffects {
  /** Members whose failure blocks them where they are: "member@node". */
  blockedMembers: Set<string>;
  /** Units that stay stopped after a failure with on-fail=stop. */
  stoppedUnits: Set<string>;
  fenceReasons: Map<string, string>;
  /** Failures whose on-fail fences the node: "member@node". */
  fencingFailures?: Set<string>;
  /** Per fenced node, the resources whose failures count: read up to (and with) the first that fences it. */
  fenceCause?: Map<string, Set<string>>;
  /** Failures recovered by demotion (on-fail=demote): "member@node", demoted there without a stop. */
  demotedMembers?: Set<string>;
}

export function isRole(role: string | undefined, wanted: "Promoted" | "Unpromoted" | "Started"): boolean {
  if (role === undefined) return wanted === "Started";
  const lower = role.toLowerCase();
  if (wanted === "Promoted") return lower === "promoted" || lower === "master";
  if (wanted === "Unpromoted") return lower === "unpromoted" || lower === "slave";
  return lower === "started";
}

/** The id a history entry names with any ":N" instance suffix removed. */
export function baseId(id: string): string {
  const colon = id.lastIndexOf(":");
  return colon > 0 && /^\d+$/.test(id.slice(colon + 1)) ? id.slice(0, colon) : id;
}

export type Role = "Promoted" | "Unpromoted";

/** Lookups built once per run: location constraints by resource id, transient attributes by node. */
export interface ScoreIndex {
  locations: Map<string, LocationConstraint[]>;
  transient: Map<string, Record<string, string>>;
  /** Colocation constraints by the id of their primary (with-rsc). */
  colocationsByPrimary: Map<string, ColocationConstraint[]>;
  /** Node health (node-health-strategy) per node, where it is not 0. */
  health: Map<string, number>;
  /** Per colocated group: its members after the first, which take its location constraints at score 0. */
  laterGroupMembers: Map<string, Set<string>>;
}

/** Pass 1 (unpack): the configuration as the later passes read it. Never changed after. */
export interface Model {
  readonly cib: Cib;
  readonly cluster: ClusterOptions;
  /** The no-quorum-policy in force ("ignore" with quorum). */
  readonly policy: string;
  readonly quorate: boolean;
  readonly nowSeconds: number;
  readonly index: ScoreIndex;
}

/** Pass 2 (history and failures): node and resource states as the history and on-fail leave them. */
export interface History {
  readonly nodes: NodeState[];
  /** Configured units, then orphans (active, no longer configured or beyond clone-max). */
  readonly units: PlacementUnit[];
  readonly states: Map<string, ResourceState>;
  readonly failureEffects: FailureEffects;
  /** Nodes to be fenced in this transition, and their fence actions. */
  readonly fenced: Set<string>;
  readonly fenceActions: ScheduledAction[];
  /** Constraint ids reaching each member; units by every id a constraint may name. */
  readonly owners: Map<string, string[]>;
  readonly unitsByOwner: Map<string, PlacementUnit[]>;
  /** Colocations (started roles only) by the unit of their dependent resource. */
  readonly colocationsByUnit: Map<string, ColocationConstraint[]>;
}

/** Pass 4 (placement, with roles): where every unit goes and which instances are promoted. */
export interface Placement {
  /** Chosen node of every placed unit (undefined: stopped). */
  readonly placed: Map<string, string | undefined>;
  /** Nodes chosen for every constraint-level id (primitive, group, clone child, clone; "#Promoted"/"#Unpromoted" for roles). */
  readonly placedOn: Map<string, string[]>;
  /** Units of promotable clones that are to run Promoted. */
  readonly promoted: Set<string>;
  /** Units that would start on this node but may not for lack of quorum. */
  readonly quorumBlocked: Map<string, string>;
  /** Units assigned a node that they may not start on for lack of quorum (policy stop). */
  /** Units assigned a node they may not start on (no quorum, policy stop), with that node. */
  readonly heldForQuorum?: Map<string, string>;
  /** Allocation scores per member and node (for --show-scores). */
  readonly scores: Record<string, Record<string, number>>;
  /** Units in the order their placement completed, with their node: the order actions are derived in. */
  readonly completed: Array<{ unit: PlacementUnit; target: string | undefined }>;
}

/** Pass 5 (runnability): what cannot start for a mandatory order or colocation on something that cannot run. */
export interface Runnability {
  /** Placed units whose start is blocked by a mandatory order on something that cannot run. */
  readonly blocked: Set<string>;
  /** Clone instances among them blocked by an order (not a colocation): they keep their node. */
  readonly orderBlocked: Set<string>;
  /** Placement's promoted units less those whose promotion an order forbids. */
  readonly promoted: Set<string>;
  /** Promoted units whose promote cannot run: a mandatory colocation of their Promoted role with a primary whose start cannot. */
  readonly promoteBlocked: Set<string>;
}

/** Everything the passes decided, read by action derivation and ordering. */
export type Decisions = Model & History & Omit<Placement, "promoted"> & Runnability;
