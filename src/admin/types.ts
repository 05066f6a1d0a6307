// The configuration edits the admin commands make, as data. The CLI parses
// words into an AdminEdit (parse.ts); applyEdit (edit.ts) turns a CIB and an
// edit into a new CIB with the next configuration version, plus warnings.
import type { Attributes, Cib } from "../cib";
import type { AlertWords } from "./alerts";

export interface EditResult {
  cib: Cib;
  /** Things a person should know: constraints that cannot be met, defaults added, no change made. */
  warnings: string[];
  /** False when the edit left the configuration as it was (the version is not bumped). */
  changed: boolean;
}

/** An agent as written on the command line: ocf:heartbeat:IPaddr2, systemd:haproxy. */
export interface AgentName {
  class: string;
  provider?: string;
  type: string;
}

/** `op ACTION interval=10s timeout=20s ...` */
export interface OperationSpec {
  name: string;
  values: Attributes;
}

/** Instance attributes, operations and meta attributes; an empty value removes a key. */
export interface ResourceSettings {
  instance: Attributes;
  operations: OperationSpec[];
  meta: Attributes;
}

/** Where a new member goes in a group. */
export interface GroupPosition {
  group: string;
  before?: string;
  after?: string;
}

/** An agent's meta-data as the edits use it: parameters and actions (src/cli reads it). */
export interface AgentDescription {
  parameters: ReadonlyArray<{ name: string; required: boolean; type?: string; choices?: readonly string[]; deprecated?: boolean }>;
  /** The agent's own check of the values given (a built-in agent's validate-all): each parameter refused, with what it must be. */
  validate?(values: Readonly<Record<string, string>>): ReadonlyArray<{ parameter: string; value: string; expected: string }>;
  actions: ReadonlyArray<{ name: string; interval?: string; timeout?: string; role?: string; depth?: string; startDelay?: string }>;
}

/** What the edits may check names against; left out, the check is skipped. */
export interface EditCatalog {
  /**
   * Meta-data of the agents an edit names, by full name (ocf:heartbeat:IPaddr2); null when
   * it was looked for and there is none (the agent is not installed). An agent missing from
   * the map was not looked up: nothing is checked, and a monitor is the only default.
   */
  descriptions?: Readonly<Record<string, AgentDescription | null>>;
  /** Known agents as class:provider:type or class:type; an unknown one is warned about with near matches. */
  agents?: readonly string[];
  /** fence-agents programs installed here (fence_ipmilan, ...); a device naming another is refused unless --force. */
  fencePrograms?: readonly string[];
  /** Fence drivers this build has (names as the CIB writes them). */
  fenceDrivers?: readonly string[];
  /** Per built-in driver: the parameter names it takes (aliases included) and the required ones (each with its aliases). */
  fenceDriverParameters?: Readonly<Record<string, { names: readonly string[]; required: ReadonlyArray<readonly string[]> }>>;
  /** What the agent's validate-all said of the given parameters (`resource create --agent-validation`, as pcs 0.11's): its exit code and reason. */
  selfValidation?: { exitCode: number; reason?: string };
}

export type AdminEdit =
  /** `clone` wraps the new resource in a clone (promotable or not), as `resource create ... clone|promotable` does. */
  | { kind: "resource-create"; id: string; agent: AgentName; settings: ResourceSettings; group?: GroupPosition; disabled: boolean; noDefaultOperations: boolean; clone?: { promotable: boolean; id?: string; meta: Attributes }; force?: boolean; agentValidation?: boolean }
  | { kind: "resource-delete"; id: string }
  /** `stonith` says the command was `stonith update`: the resource must be a fence device. */
  | { kind: "resource-update"; id: string; settings: ResourceSettings; stonith?: boolean; force?: boolean; agentValidation?: boolean }
  /** `resource op add NAME ACTION k=v...`: one more operation (an action with that interval already configured is refused unless force). */
  | { kind: "op-add"; id: string; operation: OperationSpec; force?: boolean }
  /** `resource op remove NAME ACTION [k=v...]` (every op of that action whose options match) or `resource op remove OP_ID`. */
  | { kind: "op-remove"; id?: string; name?: string; values?: Attributes; opId?: string }
  /** `resource utilization NAME k=v` / `node utilization NODE k=v` (an empty value removes one). */
  | { kind: "utilization"; target: "resource" | "node"; id: string; values: Attributes }
  | { kind: "tag-create"; id: string; refs: string[] }
  /** `constraint order|colocation set R... [opt=v...] [set R... [opt=v...]]... [setoptions opt=v...]`. */
  | { kind: "set-constraint"; constraintKind: "order" | "colocation"; sets: Array<{ resources: string[]; options: Attributes }>; options: Attributes }
  | { kind: "tag-remove"; ids: string[] }
  /** `resource manage|unmanage NAME...`: is-managed in the resources' meta attributes. */
  | { kind: "resource-manage"; ids: string[]; managed: boolean }
  | { kind: "resource-enable"; id: string }
  | { kind: "resource-disable"; id: string }
  | { kind: "resource-move"; id: string; node: string }
  | { kind: "resource-ban"; id: string; node?: string }
  | { kind: "resource-clear"; id: string; node?: string }
  | { kind: "group-add"; position: GroupPosition; resources: string[] }
  | { kind: "clone"; id: string; meta: Attributes; promotable: boolean }
  | { kind: "location-prefers"; rsc: string; avoids: boolean; nodes: Array<{ node: string; score?: string }> }
  | { kind: "location-add"; id: string; rsc: string; node: string; score: string }
  /** `constraint location RSC rule [id= role= score=|score-attribute= constraint-id= resource-discovery=] EXPRESSION...` (RSC may be regexp%PATTERN). */
  | { kind: "location-rule"; rsc: string; options: Attributes; expression: string[]; force?: boolean }
  /** `constraint rule add CONSTRAINT [id= role= score=|score-attribute=] EXPRESSION...` */
  | { kind: "rule-add"; constraint: string; options: Attributes; expression: string[]; force?: boolean }
  | { kind: "rule-remove"; id: string }
  | { kind: "colocation-add"; rsc: string; rscRole?: string; withRsc: string; withRscRole?: string; score?: string; id?: string }
  | { kind: "order-add"; first: string; firstAction?: string; then: string; thenAction?: string; orderKind?: string; symmetrical?: string; id?: string }
  | { kind: "constraint-remove"; ids: string[]; constraintKind?: "location" | "colocation" | "order" }
  | { kind: "stonith-create"; id: string; driver: string; settings: ResourceSettings; disabled: boolean; force?: boolean }
  | { kind: "stonith-delete"; id: string }
  | { kind: "stonith-level-add"; index: number; target: string; devices: string[] }
  | { kind: "stonith-level-remove"; index: number; target?: string; devices?: string[] }
  | { kind: "node-flag"; node: string; flag: "standby" | "maintenance"; on: boolean }
  | { kind: "node-attribute"; node: string; values: Attributes }
  /** rsc_defaults or op_defaults (an empty value removes a key). */
  | { kind: "defaults"; section: "rscDefaults" | "opDefaults"; values: Attributes }
  | { kind: "property-set"; values: Attributes; force: boolean }
  | { kind: "property-unset"; names: string[] }
  | { kind: "alert-create"; words: AlertWords }
  | { kind: "alert-update"; id: string; words: AlertWords }
  | { kind: "alert-delete"; ids: string[] }
  | { kind: "alert-recipient-add"; alert: string; words: AlertWords; force: boolean }
  | { kind: "alert-recipient-update"; id: string; words: AlertWords }
  | { kind: "alert-recipient-remove"; ids: string[] };
