// The controller: one per node, a deterministic state machine. Every node elects the DC
// from the agreed view; the DC collects every member's report (join), distributes the
// newest configuration, runs the scheduler, and executes the transition by sending
// operations to members and fence requests to the fencer. Inputs carry the time; effects
// are performed by src/node/. No clock, sockets, processes or files here.
import { BOOTSTRAP_SET_ID, clusterOptions, compareVersions, flattenSets, formatVersion, parseDurationMs, parseNativeCib, type Cib, type NodeStatus, type Primitive } from "../cib";
import { schedule, unpackResourceStates, type ScheduledAction, type TransitionGraph } from "../scheduler";
import { EdgehaError } from "../common/errors";
import type { ClientReply, ClientRequest, ClusterSummary, ControllerMessage, NodeReport } from "./protocol";
import { compileTransition, isFinished, readySteps, runningCount, type Step, type Transition } from "./transition";
import { relocationPlan } from "./relocate";

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
}

export const CONTROLLER_DEFAULTS = { electionWaitMs: 1000, joinTimeoutMs: 5000, fenceRetryMs: 2000, recheckMs: 60_000 };

export type ControllerInput =
  | { kind: "view"; nowMs: number; ringId: number; members: number[]; quorate: boolean }
  | { kind: "quorum"; nowMs: number; quorate: boolean }
  | { kind: "message"; nowMs: number; from: number; message: ControllerMessage }
  | { kind: "tick"; nowMs: number; epochSeconds: number }
  /** The local node's resources changed (probe done, monitor result, operation done). */
  | { kind: "local-report"; nowMs: number; report: NodeReport }
  /** An operation the DC asked of this node ended. */
  | { kind: "local-op-done"; nowMs: number; transition: number; step: number; ringId: number; ok: boolean; reason?: string; report: NodeReport }
  | { kind: "fence-done"; nowMs: number; transition: number; step: number; target: string; ok: boolean; reason: string; epochSeconds: number }
  | { kind: "client"; nowMs: number; clientId: number; request: ClientRequest };

export type ControllerEffect =
  | { kind: "send"; to: number; message: ControllerMessage }
  /** Write the configuration durably before performing the next effects. */
  | { kind: "persist"; cib: Cib }
  /** The configuration in force changed: probe every configured resource not yet probed, then report. */
  | { kind: "configure"; cib: Cib }
  | { kind: "run"; transition: number; step: number; ringId: number; resource: string; operation: "start" | "stop" | "promote" | "demote" | "notify"; notify?: Record<string, string> }
  | { kind: "fence"; transition: number; step: number; target: string; action: "off" | "reboot"; cib: Cib; members: string[] }
  | { kind: "cleanup"; resource?: string }
  | { kind: "reply"; clientId: number; reply: ClientReply }
  /** This node asked to leave and the DC has moved everything away: it may exit now. */
  | { kind: "may-exit" }
  /** The DC planned a transition: its scheduler input, graph and reason, for the flight recorder. */
  | { kind: "record-input"; transition: number; reason: string; nowSeconds: number; cib: Cib; graph: { actions: ScheduledAction[]; operations: TransitionGraph["operations"] }; steps: string[] }
  | { kind: "log"; level: "info" | "warn" | "error"; message: string; fields: Record<string, unknown> };

type WriteOrigin = { clientId: number } | { node: number; requestId: number };

interface DcState {
  ringId: number;
  /** The ring at which this node became DC. */
  since: number;
  lastJoinSentMs: number;
  acked: Set<number>;
  joinStartedMs: number;
  joinDone: boolean;
  reports: Map<string, NodeReport>;
  transition: Transition | undefined;
  nextTransitionId: number;
  needPlan: boolean;
  /** Why the next plan runs (the reasons since the last one, oldest first, bounded). */
  planReasons: string[];
  lastPlanMs: number;
  fenceBlockedUntilMs: number;
  writes: Map<number, { waiting: Set<number>; origin: WriteOrigin | undefined; version: string }>;
  nextWriteId: number;
  /** Nodes where a stop failed (fencing on): unclean until fenced. */
  stopFailedNodes: Set<string>;
  /** Resources whose stop failed with fencing off: unmanaged until cleaned up. */
  blocked: Set<string>;
}

const FENCE_RECORDS_KEPT = 10;
const PLAN_REASONS_KEPT = 8;
const JOIN_RESEND_MS = 300;
const RESULT_MARGIN_MS = 5000;
const OPERATION_TIMEOUT_DEFAULT_MS = 20_000;

/** The timeout of a resource's start or stop as configured (op, then op defaults, then 20 s). */
function operationTimeoutMs(cib: Cib, resource: string, operation: string): number {
  const primitive = cib.resources.flatMap((each) => each.kind === "primitive" ? [each] : each.kind === "group" ? each.members : each.child.kind === "group" ? each.child.members : [each.child]).find((each) => each.id === resource);
  const text = primitive?.operations.find((op) => op.name === operation && op.intervalMs === 0)?.timeout ?? flattenSets(cib.opDefaults).timeout;
  if (text === undefined) return OPERATION_TIMEOUT_DEFAULT_MS;
  try {
    return parseDurationMs(text, "timeout");
  } catch {
    return OPERATION_TIMEOUT_DEFAULT_MS;
  }
}

export class Controller {
  private ringId = 0;
  private members: number[] = [];
  private quorate = false;
  private dc: number | undefined;
  private knewDc = false;
  private electionDeadlineMs: number | undefined;
  private cib: Cib;
  private localReport: NodeReport;
  private expectedUp = new Set<string>();
  private dcState: DcState | undefined;
  private summaryValue: ClusterSummary | undefined;
  private lastSentSummary = "";
  private fenceRecords: ClusterSummary["fencing"] = [];
  private epochSeconds = 0;
  private nextRequestId = 1;
  private readonly forwarded = new Map<number, number>();
  private leaving = false;
  private lastNowMs = 0;
  private quorumLostAtMs: number | undefined;
  private graceOver = false;

  constructor(private readonly settings: ControllerSettings, cib: Cib, report: NodeReport) {
    this.cib = cib;
    this.localReport = report;
  }

  get localName(): string {
    return this.nameOf(this.settings.localId);
  }

  get isDc(): boolean {
    return this.dc === this.settings.localId && this.dcState !== undefined;
  }

  get dcName(): string | undefined {
    return this.dc === undefined ? undefined : this.nameOf(this.dc);
  }

  get configuration(): Cib {
    return this.cib;
  }

  /** The last summary: computed here on the DC, received from the DC elsewhere. */
  get summary(): ClusterSummary | undefined {
    return this.summaryValue;
  }

  /** The CIB with the status section the DC has built (the DC only). */
  statusCib(): Cib | undefined {
    return this.dcState ? this.withStatus(this.dcState) : undefined;
  }

  /** The wall clock at the next input (for failure timeouts, fence records, shutdown times) when ticks are far apart. */
  observeWallClock(epochSeconds: number): void {
    this.epochSeconds = Math.max(this.epochSeconds, epochSeconds);
  }

  handle(input: ControllerInput): ControllerEffect[] {
    const effects: ControllerEffect[] = [];
    this.lastNowMs = Math.max(this.lastNowMs, input.nowMs);
    switch (input.kind) {
      case "view":
        this.onView(input, effects);
        break;
      case "quorum":
        if (input.quorate !== this.quorate) {
          this.setQuorate(input.quorate, input.nowMs);
          if (this.dcState) this.replan(this.dcState, "quorum changed");
        }
        break;
      case "message":
        this.onMessage(input.from, input.message, input.nowMs, effects);
        break;
      case "tick":
        this.epochSeconds = input.epochSeconds;
        this.onTick(input.nowMs, effects);
        break;
      case "local-report":
        this.localReport = input.report;
        if (this.isDc) this.onReport(this.dcState!, input.report, effects);
        else if (this.dc !== undefined) effects.push({ kind: "send", to: this.dc, message: { t: "report", ringId: this.ringId, report: input.report } });
        break;
      case "local-op-done":
        this.localReport = input.report;
        if (this.isDc) this.onOpResult(this.dcState!, this.settings.localId, input.transition, input.step, input.ok, input.reason, input.report, effects);
        else if (this.dc !== undefined) effects.push({ kind: "send", to: this.dc, message: { t: "op-result", ringId: input.ringId, transition: input.transition, step: input.step, ok: input.ok, reason: input.reason, report: input.report } });
        break;
      case "fence-done":
        this.epochSeconds = Math.max(this.epochSeconds, input.epochSeconds);
        this.onFenceDone(input, effects);
        break;
      case "client":
        this.onClient(input.clientId, input.request, effects);
        break;
      default: {
        const unknown: never = input;
        return unknown;
      }
    }
    // A quiet tick (nothing to plan, nothing running, nothing due) costs nothing: no
    // scheduler run, no summary rebuilt.
    if (this.dcState && !(input.kind === "tick" && this.quiet(this.dcState, input.nowMs))) this.drive(this.dcState, input.nowMs, effects);
    return effects;
  }

  // ---- election and join -------------------------------------------------

  private onView(input: Extract<ControllerInput, { kind: "view" }>, effects: ControllerEffect[]): void {
    this.ringId = input.ringId;
    this.members = [...input.members].sort((left, right) => left - right);
    this.setQuorate(input.quorate, input.nowMs);
    for (const id of this.members) this.expectedUp.add(this.nameOf(id));
    if (this.dc !== undefined && !this.members.includes(this.dc)) {
      effects.push({ kind: "log", level: "warn", message: "the DC left the view", fields: { dc: this.nameOf(this.dc), ringId: this.ringId } });
      this.dc = undefined;
      // Requests the old DC never answered are answered here: not applied unless stored, so retry.
      for (const clientId of this.forwarded.values()) effects.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NOT_DC", error: "the DC left the cluster before answering; the change may not have been applied: check and retry" } });
      this.forwarded.clear();
    }
    if (this.dc === undefined) {
      if (this.knewDc) this.elect(input.nowMs, effects);
      else this.electionDeadlineMs ??= input.nowMs + this.settings.electionWaitMs;
    }
    if (this.isDc) this.startJoin(input.nowMs, effects);
  }

  private setQuorate(quorate: boolean, nowMs: number): void {
    if (this.quorate && !quorate) {
      this.quorumLostAtMs = nowMs;
      this.graceOver = false;
    }
    if (quorate) this.quorumLostAtMs = undefined;
    this.quorate = quorate;
  }

  /** Quorum is lost but the grace has not run out: hold everything as it is. */
  private inQuorumGrace(): boolean {
    return !this.quorate && this.quorumLostAtMs !== undefined && this.lastNowMs - this.quorumLostAtMs < (this.settings.quorumGraceMs ?? 0);
  }

  private elect(nowMs: number, effects: ControllerEffect[]): void {
    this.dc = this.members[0] ?? this.settings.localId;
    this.knewDc = true;
    this.electionDeadlineMs = undefined;
    effects.push({ kind: "log", level: "info", message: "elected the DC", fields: { dc: this.nameOf(this.dc), ringId: this.ringId } });
    if (this.dc === this.settings.localId) this.startJoin(nowMs, effects);
  }

  private startJoin(nowMs: number, effects: ControllerEffect[]): void {
    const previous = this.dcState;
    if (previous?.transition) previous.transition.aborted = true;
    const state: DcState = previous ?? {
      ringId: this.ringId, since: this.ringId, lastJoinSentMs: nowMs, acked: new Set(), joinStartedMs: nowMs, joinDone: false, reports: new Map(), transition: undefined, nextTransitionId: 1,
      needPlan: true, planReasons: ["a new DC took over"], lastPlanMs: -Infinity, fenceBlockedUntilMs: -Infinity, writes: new Map(), nextWriteId: 1, stopFailedNodes: new Set(), blocked: new Set(),
    };
    if (!previous && this.summaryValue) this.seedFromSummary(state, this.summaryValue);
    state.ringId = this.ringId;
    state.acked = new Set([this.settings.localId]);
    state.joinStartedMs = nowMs;
    state.joinDone = false;
    this.wantPlan(state, `membership changed (ring ${this.ringId}: ${this.members.map((id) => this.nameOf(id)).join(", ")})`);
    state.reports.set(this.localName, this.localReport);
    // A lost node's last report stays until it is fenced (it tells where its resources were and
    // how important they are for priority-fencing-delay); without fencing it is down at once.
    if (!clusterOptions(this.cib).options.stonithEnabled) for (const name of [...state.reports.keys()]) if (!this.members.some((id) => this.nameOf(id) === name)) state.reports.delete(name);
    this.dcState = state;
    // Members that left are no longer waited for; a write they held up completes now.
    for (const [writeId, write] of [...state.writes]) {
      for (const id of write.waiting) if (!this.members.includes(id)) write.waiting.delete(id);
      this.finishWrite(state, writeId, effects);
    }
    if (state.transition) for (const step of state.transition.steps) {
      if (step.state === "running" && step.kind !== "fence" && !this.members.some((id) => this.nameOf(id) === step.node)) step.state = "failed";
    }
    this.sendJoins(state, nowMs, effects);
    this.completeJoinIfReady(state, nowMs, effects);
  }

  private sendJoins(state: DcState, nowMs: number, effects: ControllerEffect[]): void {
    state.lastJoinSentMs = nowMs;
    for (const id of this.members) if (!state.acked.has(id)) effects.push({ kind: "send", to: id, message: { t: "join", ringId: this.ringId, since: state.since } });
  }

  /**
   * A new DC knows the other nodes' resources only from the last summary of the old DC.
   * Until a node reports for itself (join) or is fenced, what the summary said runs there
   * is taken as running there: the scheduler then knows what a lost node held, and
   * priority-fencing-delay knows how important it was.
   */
  private seedFromSummary(state: DcState, summary: ClusterSummary): void {
    for (const node of this.settings.nodes) {
      if (node.id === this.settings.localId || state.reports.has(node.name)) continue;
      const resources: NodeReport["resources"] = {};
      for (const resource of summary.resources) {
        if (!resource.nodes.includes(node.name) || resource.role === "Stopped") continue;
        const [agentClass = "ocf", second, third] = resource.agent.split(":");
        resources[resource.id] = {
          class: agentClass, provider: third === undefined ? undefined : second, type: third ?? second ?? "unknown",
          operations: [{ id: `${resource.id}_last_0`, operation: "monitor", callId: 1, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { "from-summary": "true" } }],
        };
      }
      if (Object.keys(resources).length === 0) continue;
      state.reports.set(node.name, { node: node.name, probed: true, cibVersion: summary.cibVersion, busy: false, resources, attributes: {}, shutdown: false });
    }
  }

  private completeJoinIfReady(state: DcState, nowMs: number, effects: ControllerEffect[]): void {
    if (state.joinDone) return;
    const timedOut = nowMs - state.joinStartedMs >= this.settings.joinTimeoutMs;
    if (!timedOut && this.members.some((id) => !state.acked.has(id))) return;
    state.joinDone = true;
    const missing = this.members.filter((id) => !state.acked.has(id)).map((id) => this.nameOf(id));
    if (missing.length > 0) effects.push({ kind: "log", level: "warn", message: "members did not answer the join in time", fields: { missing } });
    effects.push({ kind: "log", level: "info", message: "join complete", fields: { ringId: state.ringId, members: [...state.acked].map((id) => this.nameOf(id)), cib: formatVersion(this.cib.version) } });
    // Like Pacemaker, the nodes section lists every cluster node, so constraints and node
    // attributes can name them; the bootstrap config is where they come from.
    const missingNodes = this.settings.nodes.filter((node) => !this.cib.nodes.some((each) => each.uname === node.name));
    if (missingNodes.length > 0) {
      const nodes = [...this.cib.nodes, ...missingNodes.map((node) => ({ id: String(node.id), uname: node.name, extra: {}, instance: [], utilization: [] }))];
      this.adopt({ ...this.cib, nodes, version: { ...this.cib.version, epoch: this.cib.version.epoch + 1, numUpdates: 0 } }, effects);
    } else {
      effects.push({ kind: "configure", cib: this.cib });
    }
    this.distribute(state, undefined, effects);
  }

  /** Sends the configuration in force to every joined member; they store it and answer. */
  private distribute(state: DcState, origin: WriteOrigin | undefined, effects: ControllerEffect[]): void {
    const writeId = state.nextWriteId++;
    const waiting = new Set([...state.acked].filter((id) => id !== this.settings.localId && this.members.includes(id)));
    state.writes.set(writeId, { waiting, origin, version: formatVersion(this.cib.version) });
    const wire = JSON.parse(JSON.stringify(configurationOnly(this.cib))) as unknown;
    for (const id of waiting) effects.push({ kind: "send", to: id, message: { t: "cib", ringId: this.ringId, writeId, cib: wire } });
    this.finishWrite(state, writeId, effects);
  }

  private finishWrite(state: DcState, writeId: number, effects: ControllerEffect[]): void {
    const write = state.writes.get(writeId);
    if (write === undefined || write.waiting.size > 0) return;
    state.writes.delete(writeId);
    const reply: ClientReply = { ok: true, version: write.version, message: `configuration ${write.version} is stored on every member` };
    if (write.origin === undefined) return;
    if ("clientId" in write.origin) effects.push({ kind: "reply", clientId: write.origin.clientId, reply });
    else effects.push({ kind: "send", to: write.origin.node, message: { t: "reply", requestId: write.origin.requestId, reply } });
  }

  // ---- messages ------------------------------------------------------------

  private onMessage(from: number, message: ControllerMessage, nowMs: number, effects: ControllerEffect[]): void {
    if (!this.members.includes(from)) return;
    const fromDc = from === this.dc;
    switch (message.t) {
      case "join": {
        if (message.ringId !== this.ringId) return;
        if (this.isDc) {
          // Two DCs in one view (partitions merged, or a node that elected itself while it
          // could not hear us): the one that has been DC longer keeps the role, then the lower id.
          const mine = this.dcState!.since;
          const theirsWins = message.since < mine || (message.since === mine && from < this.settings.localId);
          if (!theirsWins) {
            effects.push({ kind: "send", to: from, message: { t: "join", ringId: this.ringId, since: mine } });
            return;
          }
        }
        if (this.dcState) {
          effects.push({ kind: "log", level: "info", message: "yielding the DC role", fields: { to: this.nameOf(from) } });
          if (this.dcState.transition) this.dcState.transition.aborted = true;
          this.dcState = undefined;
        }
        this.dc = from;
        this.knewDc = true;
        this.electionDeadlineMs = undefined;
        effects.push({ kind: "send", to: from, message: { t: "join-ack", ringId: this.ringId, cib: JSON.parse(JSON.stringify(configurationOnly(this.cib))) as unknown, report: this.localReport } });
        return;
      }
      case "join-ack": {
        const state = this.dcState;
        if (!state || message.ringId !== this.ringId) return;
        state.acked.add(from);
        state.reports.set(this.nameOf(from), message.report);
        const theirs = this.parseWire(message.cib, `the configuration from ${this.nameOf(from)}`, effects);
        if (theirs && compareVersions(theirs.version, this.cib.version) > 0) {
          effects.push({ kind: "log", level: "info", message: "adopting a newer configuration from a member", fields: { from: this.nameOf(from), version: formatVersion(theirs.version) } });
          this.adopt(theirs, effects);
        }
        if (state.joinDone) this.distribute(state, undefined, effects);
        else this.completeJoinIfReady(state, nowMs, effects);
        this.wantPlan(state, "a member's newer configuration was adopted");
        return;
      }
      case "cib": {
        // From our DC whatever ring it names: views may change while a message is in flight.
        if (!fromDc) return;
        const cib = this.parseWire(message.cib, "the configuration from the DC", effects);
        if (!cib) return;
        if (formatVersion(cib.version) !== formatVersion(this.cib.version) || JSON.stringify(configurationOnly(cib)) !== JSON.stringify(configurationOnly(this.cib))) this.adopt(cib, effects);
        else effects.push({ kind: "configure", cib: this.cib });
        effects.push({ kind: "send", to: from, message: { t: "cib-ack", ringId: this.ringId, writeId: message.writeId } });
        return;
      }
      case "cib-ack": {
        const state = this.dcState;
        if (!state) return;
        state.writes.get(message.writeId)?.waiting.delete(from);
        this.finishWrite(state, message.writeId, effects);
        return;
      }
      case "report":
        if (this.dcState) this.onReport(this.dcState, message.report, effects);
        return;
      case "op":
        if (!fromDc) return;
        effects.push({ kind: "run", transition: message.transition, step: message.step, ringId: message.ringId, resource: message.resource, operation: message.operation, ...(message.notify ? { notify: message.notify } : {}) });
        return;
      case "op-result":
        if (this.dcState) this.onOpResult(this.dcState, from, message.transition, message.step, message.ok, message.reason, message.report, effects);
        return;
      case "cleanup":
        if (fromDc) effects.push({ kind: "cleanup", resource: message.resource });
        return;
      case "request":
        if (this.isDc) this.serve(message.request, { node: from, requestId: message.requestId }, effects);
        else effects.push({ kind: "send", to: from, message: { t: "reply", requestId: message.requestId, reply: { ok: false, code: "E_NOT_DC", error: "this node is no longer the DC; try again" } } });
        return;
      case "reply": {
        const clientId = this.forwarded.get(message.requestId);
        if (clientId === undefined) return;
        this.forwarded.delete(message.requestId);
        effects.push({ kind: "reply", clientId, reply: message.reply });
        return;
      }
      case "summary":
        if (!fromDc) return;
        this.summaryValue = message.summary;
        this.mirrorExpected(message.summary, effects);
        return;
      default:
        return;
    }
  }

  private parseWire(value: unknown, what: string, effects: ControllerEffect[]): Cib | undefined {
    try {
      return parseNativeCib(JSON.stringify(value), what);
    } catch (error) {
      effects.push({ kind: "log", level: "error", message: `ignoring ${what}: it is not a valid configuration`, fields: { error: error instanceof Error ? error.message : String(error) } });
      return undefined;
    }
  }

  private adopt(cib: Cib, effects: ControllerEffect[]): void {
    this.cib = configurationOnly(cib);
    effects.push({ kind: "persist", cib: this.cib }, { kind: "configure", cib: this.cib });
  }

  private onReport(state: DcState, report: NodeReport, _effects: ControllerEffect[]): void {
    const before = state.reports.get(report.node);
    state.reports.set(report.node, report);
    if (before !== undefined && JSON.stringify(before) === JSON.stringify(report)) return;
    // Results of the running transition's own steps are expected; a new failure is not.
    // Node facts (load, free memory) change all the time: a reason to re-plan, not to abort.
    const failureAttributes = (attributes: Record<string, string>) => JSON.stringify(Object.entries(attributes).filter(([key]) => /^(fail-count-|last-failure-|standby$|#unfence)/.test(key)));
    const unexpected = before === undefined || JSON.stringify(before.failures ?? []) !== JSON.stringify(report.failures ?? []) || failureAttributes(before.attributes) !== failureAttributes(report.attributes) || before.shutdown !== report.shutdown;
    if (unexpected) this.replan(state, `new state from ${report.node}`);
    else this.wantPlan(state, `node facts of ${report.node} changed`);
  }

  /** A plan is due, for this reason (kept for the flight recorder and history), without aborting what runs. */
  private wantPlan(state: DcState, why: string): void {
    state.needPlan = true;
    if (!state.planReasons.includes(why)) state.planReasons.push(why);
    if (state.planReasons.length > PLAN_REASONS_KEPT) state.planReasons.splice(0, state.planReasons.length - PLAN_REASONS_KEPT);
  }

  private replan(state: DcState, why: string): void {
    this.wantPlan(state, why);
    if (state.transition && !state.transition.aborted) state.transition.aborted = true;
  }

  // ---- clients ---------------------------------------------------------------

  private onClient(clientId: number, request: ClientRequest, effects: ControllerEffect[]): void {
    if (request.kind === "cib-replace" && !this.quorate) {
      effects.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NO_QUORUM", error: `${this.localName} is not in a quorate partition; configuration changes are refused until it is` } });
      return;
    }
    if (this.isDc) {
      this.serve(request, { clientId }, effects);
      return;
    }
    if (this.dc === undefined) {
      effects.push({ kind: "reply", clientId, reply: { ok: false, code: "E_NO_DC", error: "no DC is elected yet; try again in a moment" } });
      return;
    }
    const requestId = this.nextRequestId++;
    this.forwarded.set(requestId, clientId);
    effects.push({ kind: "send", to: this.dc, message: { t: "request", requestId, request } });
  }

  private serve(request: ClientRequest, origin: { clientId: number } | { node: number; requestId: number }, effects: ControllerEffect[]): void {
    const state = this.dcState!;
    const reply = (value: ClientReply) => {
      if ("clientId" in origin) effects.push({ kind: "reply", clientId: origin.clientId, reply: value });
      else effects.push({ kind: "send", to: origin.node, message: { t: "reply", requestId: origin.requestId, reply: value } });
    };
    if (request.kind === "placement") {
      reply({ ok: true, relocations: relocationPlan(this.withStatus(state), this.epochSeconds, request.resources) });
      return;
    }
    if (request.kind === "cleanup") {
      if (request.resource === undefined) state.blocked.clear();
      else state.blocked.delete(request.resource);
      for (const id of state.acked) {
        const name = this.nameOf(id);
        if (request.node !== undefined && request.node !== name) continue;
        if (id === this.settings.localId) effects.push({ kind: "cleanup", resource: request.resource });
        else effects.push({ kind: "send", to: id, message: { t: "cleanup", ringId: this.ringId, resource: request.resource } });
      }
      reply({ ok: true, message: `cleaned up ${request.resource ?? "all resources"} on ${request.node ?? "every node"}` });
      return;
    }
    if (!this.quorate) {
      reply({ ok: false, code: "E_NO_QUORUM", error: "the DC's partition is not quorate; configuration changes are refused until it is" });
      return;
    }
    const current = formatVersion(this.cib.version);
    if (request.base !== current) {
      reply({ ok: false, code: "E_CIB_CONFLICT", error: `the configuration changed meanwhile (it is now ${current}, the change was made on ${request.base}); read it again and retry` });
      return;
    }
    let next: Cib;
    try {
      next = parseNativeCib(JSON.stringify(request.cib), "the requested configuration");
    } catch (error) {
      reply({ ok: false, code: error instanceof EdgehaError ? error.code : "E_CIB_INVALID", error: error instanceof Error ? error.message : String(error) });
      return;
    }
    next = { ...next, version: { adminEpoch: Math.max(next.version.adminEpoch, this.cib.version.adminEpoch), epoch: this.cib.version.epoch + 1, numUpdates: 0 } };
    effects.push({ kind: "log", level: "info", message: "configuration changed", fields: { version: formatVersion(next.version) } });
    this.adopt(next, effects);
    this.distribute(state, origin, effects);
    this.replan(state, "configuration changed");
  }

  // ---- the DC's loop: plan, dispatch, results --------------------------------

  private onTick(nowMs: number, effects: ControllerEffect[]): void {
    if (this.dc === undefined && this.electionDeadlineMs !== undefined && nowMs >= this.electionDeadlineMs) this.elect(nowMs, effects);
    const state = this.dcState;
    if (!state) return;
    if (this.quorumLostAtMs !== undefined && !this.graceOver && !this.inQuorumGrace()) {
      // The grace ran out without quorum: now no-quorum-policy applies.
      this.graceOver = true;
      this.replan(state, "quorum grace over");
      effects.push({ kind: "log", level: "warn", message: "still no quorum after the grace period; applying no-quorum-policy", fields: { graceMs: this.settings.quorumGraceMs ?? 0 } });
    }
    // Joins can cross a view change in flight: ask again until every member answered.
    if (!state.joinDone && nowMs - state.lastJoinSentMs >= JOIN_RESEND_MS) this.sendJoins(state, nowMs, effects);
    this.completeJoinIfReady(state, nowMs, effects);
    if (nowMs - state.lastPlanMs >= this.settings.recheckMs) this.wantPlan(state, "periodic recheck (cluster-recheck-interval)");
  }

  /**
   * When this controller next needs a tick, given the inputs so far: `busyMs` after the last
   * input while anything waits on time (an election, a join, the quorum grace, a transition, a
   * plan held back), the next recheck when the DC is quiet, and undefined when only events can
   * change anything (a member that is not the DC and knows its DC). The agent sleeps until then
   * instead of ticking all the time: an idle cluster costs no wake-ups here.
   */
  nextTickMs(busyMs: number): number | undefined {
    const soon = this.lastNowMs + busyMs;
    if (this.dc === undefined && this.electionDeadlineMs !== undefined) return Math.min(soon, Math.max(this.electionDeadlineMs, this.lastNowMs));
    const state = this.dcState;
    if (!state) return undefined;
    if (this.quorumLostAtMs !== undefined && !this.graceOver) return soon;
    if (!this.quiet(state, this.lastNowMs)) return soon;
    return state.lastPlanMs + this.settings.recheckMs;
  }

  private quiet(state: DcState, nowMs: number): boolean {
    if (state.needPlan || !state.joinDone || state.transition !== undefined) return false;
    return nowMs - state.lastPlanMs < this.settings.recheckMs;
  }

  private drive(state: DcState, nowMs: number, effects: ControllerEffect[]): void {
    if (state.transition) {
      // A step whose result never comes (a message lost with a view change) fails after its
      // operation's timeout plus a margin, and the transition is re-planned.
      for (const step of state.transition.steps) {
        if (step.state !== "running" || step.kind === "fence" || step.deadlineMs === undefined || nowMs < step.deadlineMs) continue;
        step.state = "failed";
        state.transition.aborted = true;
        effects.push({ kind: "log", level: "warn", message: "no result for an operation in time; re-planning", fields: { resource: step.resource, operation: step.kind, node: step.node } });
      }
      this.dispatch(state, state.transition, effects);
      if (isFinished(state.transition)) {
        const finished = state.transition;
        state.transition = undefined;
        this.wantPlan(state, `transition ${finished.id} ${finished.aborted ? "was aborted" : "finished"}`);
        effects.push({ kind: "log", level: finished.steps.some((step) => step.state === "failed") ? "warn" : "info", message: "transition finished", fields: { transition: finished.id, steps: finished.steps.map(describeStep) } });
      }
    }
    if (!state.transition && state.needPlan) this.plan(state, nowMs, effects);
    this.publishSummary(state, effects);
  }

  private plan(state: DcState, nowMs: number, effects: ControllerEffect[]): void {
    if (!state.joinDone || state.writes.size > 0 && [...state.writes.values()].some((write) => write.origin === undefined)) return;
    const version = formatVersion(this.cib.version);
    for (const id of state.acked) {
      const report = state.reports.get(this.nameOf(id));
      // Nothing is started anywhere until every member has probed the configuration in force.
      if (!report || !report.probed || report.cibVersion !== version || report.busy) return;
    }
    if (nowMs < state.fenceBlockedUntilMs) return;
    state.needPlan = false;
    state.lastPlanMs = nowMs;
    const cib = this.withStatus(state);
    const graph = schedule(cib, { now: this.epochSeconds });
    // The DC runs the scheduler's graph as it is (the same one `simulate --graph` shows).
    const transition = compileTransition(state.nextTransitionId++, graph);
    const reason = state.planReasons.length > 0 ? state.planReasons.join("; ") : "periodic recheck (cluster-recheck-interval)";
    state.planReasons = [];
    // The flight recorder keeps the input, the graph and why (the agent writes it; nothing is written here).
    effects.push({ kind: "record-input", transition: transition.id, reason, nowSeconds: this.epochSeconds, cib, graph: { actions: graph.actions, operations: graph.operations }, steps: transition.steps.map(describeStep) });
    if (transition.steps.length === 0) return;
    effects.push({ kind: "log", level: "info", message: "transition planned", fields: { transition: transition.id, steps: transition.steps.map(describeStep) } });
    state.transition = transition;
    this.dispatch(state, transition, effects);
  }

  private dispatch(state: DcState, transition: Transition, effects: ControllerEffect[]): void {
    for (const step of readySteps(transition)) {
      step.state = "running";
      if (step.kind === "fence") {
        const cib = this.withStatus(state);
        effects.push({ kind: "fence", transition: transition.id, step: step.id, target: step.node, action: step.fenceAction ?? "reboot", cib, members: [...state.acked].map((id) => this.nameOf(id)) });
        this.recordFence({ target: step.node, action: step.fenceAction ?? "reboot", state: "pending", by: this.localName, atSeconds: this.epochSeconds, reason: step.reason });
        continue;
      }
      const id = this.idOf(step.node);
      if (id === undefined || !state.acked.has(id)) {
        step.state = "failed";
        transition.aborted = true;
        continue;
      }
      const operation = step.kind as "start" | "stop" | "promote" | "demote" | "notify";
      const notify = step.notify ? { notify: step.notify } : {};
      step.deadlineMs = this.lastNowMs + operationTimeoutMs(this.cib, step.resource!, operation) + RESULT_MARGIN_MS;
      if (id === this.settings.localId) effects.push({ kind: "run", transition: transition.id, step: step.id, ringId: this.ringId, resource: step.resource!, operation, ...notify });
      else effects.push({ kind: "send", to: id, message: { t: "op", ringId: this.ringId, transition: transition.id, step: step.id, resource: step.resource!, operation, ...notify } });
    }
  }

  private onOpResult(state: DcState, from: number, transitionId: number, stepId: number, ok: boolean, reason: string | undefined, report: NodeReport, effects: ControllerEffect[]): void {
    state.reports.set(report.node, report);
    const transition = state.transition;
    const step = transition?.id === transitionId ? transition.steps[stepId] : undefined;
    if (!transition || !step || step.state !== "running" || this.idOf(step.node) !== from) {
      this.wantPlan(state, `a result from ${this.nameOf(from)} for no running step`);
      return;
    }
    if (step.kind === "notify") {
      // A notification that fails changes nothing: the agent was only told; the change goes on.
      step.state = "done";
      if (!ok) effects.push({ kind: "log", level: "warn", message: "a notification failed; carrying on", fields: { resource: step.resource, node: step.node, reason } });
      return;
    }
    step.state = ok ? "done" : "failed";
    if (!ok) {
      transition.aborted = true;
      effects.push({ kind: "log", level: "warn", message: "operation failed", fields: { resource: step.resource, operation: step.kind, node: step.node, reason } });
      if (step.kind === "stop" && step.resource) {
        // A resource that cannot be stopped may still run: with fencing its node is made
        // safe by fencing it; without, the resource is blocked where it is (Pacemaker's rule).
        const stonith = clusterOptions(this.cib).options.stonithEnabled;
        if (stonith) state.stopFailedNodes.add(step.node);
        else state.blocked.add(step.resource);
        effects.push({ kind: "log", level: "error", message: stonith ? "a stop failed: the node will be fenced" : "a stop failed and fencing is off: the resource is blocked until cleaned up", fields: { resource: step.resource, node: step.node } });
      }
    }
  }

  private onFenceDone(input: Extract<ControllerInput, { kind: "fence-done" }>, effects: ControllerEffect[]): void {
    this.recordFence({ target: input.target, action: "reboot", state: input.ok ? "done" : "failed", by: this.localName, atSeconds: input.epochSeconds, reason: input.reason });
    const state = this.dcState;
    if (input.ok) {
      // Confirmed down: nothing runs there any more, and it is no longer expected up.
      this.expectedUp.delete(input.target);
      state?.reports.delete(input.target);
      state?.stopFailedNodes.delete(input.target);
      effects.push({ kind: "log", level: "info", message: "node fenced", fields: { target: input.target, reason: input.reason } });
    } else {
      effects.push({ kind: "log", level: "error", message: "fencing failed; resources of that node stay where they are until it succeeds", fields: { target: input.target, reason: input.reason } });
      if (state) state.fenceBlockedUntilMs = input.nowMs + this.settings.fenceRetryMs;
    }
    if (!state) return;
    const step = state.transition?.id === input.transition ? state.transition.steps[input.step] : undefined;
    if (step && step.state === "running") {
      step.state = input.ok ? "done" : "failed";
      if (!input.ok) state.transition!.aborted = true;
    }
    this.wantPlan(state, input.ok ? `${input.target} was fenced` : `fencing ${input.target} failed`);
  }

  private recordFence(record: ClusterSummary["fencing"][number]): void {
    const index = this.fenceRecords.findIndex((each) => each.target === record.target && each.state === "pending");
    if (index !== -1 && record.state !== "pending") this.fenceRecords.splice(index, 1);
    this.fenceRecords.push(record);
    if (this.fenceRecords.length > FENCE_RECORDS_KEPT) this.fenceRecords.splice(0, this.fenceRecords.length - FENCE_RECORDS_KEPT);
  }

  // ---- status ------------------------------------------------------------------

  /** The configuration plus the status section built from the members' reports and the view. */
  private withStatus(state: DcState): Cib {
    const cib = configurationOnly(this.cib);
    const nodes = [...cib.nodes];
    for (const node of this.settings.nodes) if (!nodes.some((each) => each.uname === node.name)) nodes.push({ id: String(node.id), uname: node.name, extra: {}, instance: [], utilization: [] });
    const status: NodeStatus[] = [];
    for (const node of this.settings.nodes) {
      // A node where a stop failed is taken for unclean: the scheduler fences it.
      const member = this.members.includes(node.id) && !state.stopFailedNodes.has(node.name);
      const joined = member && state.acked.has(node.id);
      const report = state.reports.get(node.name);
      const attributes: Record<string, string> = {
        in_ccm: member ? "true" : "false",
        crmd: joined ? "online" : "offline",
        join: joined ? "member" : "down",
        // A member still joining is not expected yet, so it is not taken for unclean.
        expected: this.expectedUp.has(node.name) && (joined || !member) ? "member" : "down",
      };
      if (report?.shutdown) attributes.shutdown = String(this.epochSeconds || 1);
      status.push({
        id: nodes.find((each) => each.uname === node.name)?.id ?? String(node.id), uname: node.name, attributes,
        transient: report ? [{ id: `status-${node.id}`, values: { ...report.attributes } }] : [],
        resources: report ? Object.entries(report.resources).map(([id, resource]) => ({ id, class: resource.class, provider: resource.provider, type: resource.type, extra: {}, operations: resource.operations })) : [],
      });
    }
    let resources = cib.resources;
    if (state.blocked.size > 0) {
      const block = (primitive: Primitive): Primitive => (state.blocked.has(primitive.id) ? { ...primitive, meta: [{ id: `${primitive.id}-blocked`, values: { "is-managed": "false" } }, ...primitive.meta] } : primitive);
      resources = resources.map((resource) => resource.kind === "primitive" ? block(resource) : resource.kind === "group" ? { ...resource, members: resource.members.map(block) } : resource);
    }
    let properties = cib.properties;
    if (this.inQuorumGrace()) {
      // Hold: what runs keeps running, nothing starts, nobody is fenced.
      const hold = { "no-quorum-policy": "freeze" };
      properties = properties.some((set) => set.id === BOOTSTRAP_SET_ID)
        ? properties.map((set) => (set.id === BOOTSTRAP_SET_ID ? { ...set, values: { ...set.values, ...hold } } : set))
        : [{ id: BOOTSTRAP_SET_ID, values: hold }, ...properties];
    }
    return { ...cib, resources, properties, nodes, status, attributes: { ...cib.attributes, "have-quorum": this.quorate ? "1" : "0", "dc-uuid": String(this.settings.localId) } };
  }

  private publishSummary(state: DcState, effects: ControllerEffect[]): void {
    const summary = this.buildSummary(state);
    const text = JSON.stringify(summary);
    this.summaryValue = summary;
    if (text === this.lastSentSummary) return;
    this.lastSentSummary = text;
    for (const id of state.acked) if (id !== this.settings.localId && this.members.includes(id)) effects.push({ kind: "send", to: id, message: { t: "summary", ringId: this.ringId, summary } });
    this.mirrorExpected(summary, effects);
  }

  private mirrorExpected(summary: ClusterSummary, effects: ControllerEffect[]): void {
    // A node that left cleanly or was fenced is no longer expected; members learn it from the DC.
    for (const node of summary.nodes) if (node.state === "offline") this.expectedUp.delete(node.name);
    for (const name of summary.leaving ?? []) this.expectedUp.delete(name);
    if (this.localReport.shutdown && (summary.leaving ?? []).includes(this.localName) && !this.leaving) {
      this.leaving = true;
      effects.push({ kind: "may-exit" });
    }
  }

  private buildSummary(state: DcState): ClusterSummary {
    const cib = this.withStatus(state);
    const { options } = clusterOptions(cib);
    const states = unpackResourceStates(cib);
    const nodes: ClusterSummary["nodes"] = this.settings.nodes.map((node) => {
      const member = this.members.includes(node.id);
      const joined = member && state.acked.has(node.id);
      const attributes = flattenSets(cib.nodes.find((each) => each.uname === node.name)?.instance ?? []);
      const report = state.reports.get(node.name);
      let nodeState: ClusterSummary["nodes"][number]["state"];
      if (!member) nodeState = this.expectedUp.has(node.name) && options.stonithEnabled ? "unclean" : "offline";
      else if (!joined) nodeState = "pending";
      else if (report?.shutdown) nodeState = "shutting-down";
      else if (isTrue(attributes.maintenance)) nodeState = "maintenance";
      else if (isTrue(attributes.standby)) nodeState = "standby";
      else nodeState = "online";
      return { name: node.name, state: nodeState };
    });
    const groupOf = new Map<string, string>();
    const primitives: Array<{ id: string; agent: string; meta: Record<string, string> }> = [];
    for (const resource of cib.resources) {
      const each = resource.kind === "clone" ? (resource.child.kind === "group" ? resource.child.members : [resource.child]) : resource.kind === "group" ? resource.members : [resource];
      for (const primitive of each) {
        if (resource.kind === "group") groupOf.set(primitive.id, resource.id);
        primitives.push({ id: primitive.id, agent: `${primitive.class}:${primitive.provider ? `${primitive.provider}:` : ""}${primitive.type}`, meta: { ...flattenSets(resource.meta), ...flattenSets(primitive.meta) } });
      }
    }
    const running = new Map<string, Step>();
    for (const step of state.transition?.steps ?? []) if (step.state === "running" && step.resource) running.set(step.resource, step);
    const resources: ClusterSummary["resources"] = primitives.map((primitive) => {
      const resourceState = states.get(primitive.id);
      const nodesActive = resourceState?.activeOn ?? [];
      const failed = (resourceState?.failedOn ?? []).length > 0;
      const step = running.get(primitive.id);
      const managed = !(options.maintenanceMode || primitive.meta["is-managed"] === "false" || isTrue(primitive.meta.maintenance));
      let role: ClusterSummary["resources"][number]["role"] = nodesActive.length > 0 ? "Started" : "Stopped";
      if (failed) role = "FAILED";
      if (step?.kind === "start") role = "Starting";
      if (step?.kind === "stop") role = "Stopping";
      return { id: primitive.id, agent: primitive.agent, group: groupOf.get(primitive.id), role, nodes: step?.kind === "start" ? [step.node] : nodesActive, managed, targetRole: primitive.meta["target-role"] };
    });
    const failedActions: ClusterSummary["failedActions"] = [];
    for (const [node, report] of state.reports) for (const failure of report.failures ?? []) failedActions.push({ node, ...failure });
    const transition = state.transition ? { id: state.transition.id, running: runningCount(state.transition), pending: state.transition.steps.filter((step) => step.state === "pending").length } : null;
    // A node that asked to leave is done once nothing runs there and no step involves it.
    const leaving = this.settings.nodes.filter((node) => {
      if (!state.reports.get(node.name)?.shutdown || !this.members.includes(node.id)) return false;
      if (resources.some((resource) => resource.nodes.includes(node.name))) return false;
      return !(state.transition?.steps ?? []).some((step) => step.node === node.name && (step.state === "running" || step.state === "pending"));
    }).map((node) => node.name);
    return { dc: this.localName, ringId: this.ringId, cibVersion: formatVersion(this.cib.version), quorate: this.quorate, nodes, resources, failedActions, fencing: [...this.fenceRecords], transition, leaving };
  }

  private nameOf(id: number): string {
    return this.settings.nodes.find((node) => node.id === id)?.name ?? `node-${id}`;
  }

  private idOf(name: string): number | undefined {
    return this.settings.nodes.find((node) => node.name === name)?.id;
  }
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.toLowerCase());
}

export function configurationOnly(cib: Cib): Cib {
  return { ...cib, status: [] };
}

function describeStep(step: Step): string {
  const what = step.kind === "fence" ? `fence ${step.node}` : `${step.kind} ${step.resource} on ${step.node}`;
  return `${step.id}:${what}${step.after.length ? ` after ${step.after.join(",")}` : ""} [${step.state}]`;
}
