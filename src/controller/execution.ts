// Transition execution on the DC: plan (the scheduler on the CIB with status), dispatch
// the steps whose predecessors are done (operations to members, fences to the fencer),
// take in results, and re-plan when anything unexpected happens.
import { allPrimitives, flattenSets, formatVersion, parseDurationMs, type Cib } from "../cib";
import { operationDefaults, operationParameters, schedule, unpackResourceStates } from "../scheduler";
import { assert } from "../common/errors";
import { isNodeFact, TRANSITION_STEPS_SHOWN_MAX, type NodeReport, type TransitionRecord } from "./protocol";
import { compileTransition, isFinished, readySteps, type Step, type Transition } from "./transition";
import { publishSummary, withStatus } from "./summary";
import { fencingEnded, nodeDown, publishFenceHistory, startFencing } from "./fencing";
import { idOf, localName, log, nameOf, optionsNow, type Context, type ControllerInput, type DcState, type Effects } from "./context";

/** Recent transitions kept for `status --full` and the status page (at most TRANSITION_RECORDS_MAX of the protocol). */
const TRANSITIONS_KEPT = 20;
/** A result is waited for this long beyond its operation's timeout before the step counts as failed. */
const RESULT_MARGIN_MS = 5000;
const OPERATION_TIMEOUT_DEFAULT_MS = 20_000;
/**
 * A transition that failed, followed by the same transition (the same steps) failing again, is
 * a loop the scheduler cannot see its way out of (an action that can never succeed, a status
 * that the failure does not change). From the second failure in a row the DC waits
 * FUTILE_BACKOFF_MS before planning, then twice as long each time, up to FUTILE_BACKOFF_MS_MAX,
 * and says so once. A transition that succeeds, or a different one, ends the streak.
 */
const FUTILE_BACKOFF_MS = 1000;
const FUTILE_BACKOFF_MS_MAX = 60_000;
/** Whatever happens, at most PLANS_PER_WINDOW plans in any PLAN_WINDOW_MS (a routine failover takes 2 or 3). */
const PLANS_PER_WINDOW = 30;
const PLAN_WINDOW_MS = 10_000;

/** The timeout of a resource's start or stop as configured (op, then the op defaults that apply to it, then 20 s). */
function operationTimeoutMs(cib: Cib, resource: string, operation: string, epochSeconds: number): number {
  const primitive = cib.resources.flatMap((each) => each.kind === "primitive" ? [each] : each.kind === "group" ? each.members : each.child.kind === "group" ? each.child.members : [each.child]).find((each) => each.id === resource);
  const text = primitive?.operations.find((op) => op.name === operation && op.intervalMs === 0)?.timeout ?? (primitive ? operationDefaults(cib, primitive, { name: operation, intervalMs: 0 }, { now: epochSeconds }).timeout : flattenSets(cib.opDefaults).timeout);
  if (text === undefined) return OPERATION_TIMEOUT_DEFAULT_MS;
  try {
    return parseDurationMs(text, "timeout");
  } catch {
    return OPERATION_TIMEOUT_DEFAULT_MS;
  }
}

/** A stonith-class resource (a clone instance "fence:1" counts as its primitive). */
function isFencingDevice(cib: Cib, resource: string | undefined): boolean {
  const id = resource?.replace(/:\d+$/, "");
  return allPrimitives(cib.resources).some((primitive) => primitive.id === id && primitive.class === "stonith");
}

export function describeStep(step: Step): string {
  const what = step.kind === "fence" ? `fence ${step.node}` : `${step.kind} ${step.resource} on ${step.node}`;
  return `${step.id}:${what}${step.after.length ? ` after ${step.after.join(",")}` : ""} [${step.state}]`;
}

const PLAN_REASONS_KEPT = 8;

/** A plan is due, for this reason (kept for the flight recorder and history), without aborting what runs. */
export function wantPlan(state: DcState, why: string): void {
  state.needPlan = true;
  if (!state.planReasons.includes(why)) state.planReasons.push(why);
  if (state.planReasons.length > PLAN_REASONS_KEPT) state.planReasons.splice(0, state.planReasons.length - PLAN_REASONS_KEPT);
}

/** Something changed that the running transition did not expect: stop dispatching it and plan again. */
export function replan(state: DcState, why: string): void {
  wantPlan(state, why);
  if (state.transition && !state.transition.aborted) state.transition.aborted = true;
}

/** Nothing to plan, nothing running, nothing due: a tick then costs nothing. */
export function quiet(context: Context, state: DcState, joined: boolean, nowMs: number): boolean {
  if (state.needPlan || !joined || state.transition !== undefined) return false;
  return nowMs - state.lastPlanMs < context.settings.recheckMs;
}

/** A member's report (its own resources); filed under the authenticated sender. */
export function onReport(context: Context, state: DcState, from: number, report: NodeReport): void {
  const name = nameOf(context, from);
  // A node fenced while still in the view is down for the cluster until it leaves it.
  if (context.fencedInView.has(name)) return;
  const filed = report.node === name ? report : { ...report, node: name };
  const before = state.reports.get(name);
  state.reports.set(name, filed);
  if (before !== undefined && JSON.stringify(before) === JSON.stringify(filed)) return;
  // Load and free memory change every minute on every node; a plan for them gives the same graph
  // unless a rule reads them, and only fills the flight recorder (and costs the DC a scheduler run).
  if (before !== undefined && onlyUnreadFactsChanged(context.cib, before, filed)) return;
  // Results of the running transition's own steps are expected; a new failure is not.
  // Node facts (load, free memory) change all the time: a reason to re-plan, not to abort.
  const failureAttributes = (attributes: Record<string, string>) => JSON.stringify(Object.entries(attributes).filter(([key]) => /^(fail-count-|last-failure-|standby$|#unfence)/.test(key)));
  const unexpected = before === undefined || JSON.stringify(before.failures ?? []) !== JSON.stringify(filed.failures ?? []) || failureAttributes(before.attributes) !== failureAttributes(filed.attributes) || before.shutdown !== filed.shutdown;
  if (unexpected) replan(state, `new state from ${name}`);
  else wantPlan(state, `node facts of ${name} changed`);
}

/** True when the reports differ only in node facts that no rule of the configuration reads. */
function onlyUnreadFactsChanged(cib: Cib, before: NodeReport, after: NodeReport): boolean {
  if (JSON.stringify({ ...before, attributes: {} }) !== JSON.stringify({ ...after, attributes: {} })) return false;
  const names = new Set([...Object.keys(before.attributes), ...Object.keys(after.attributes)]);
  const changed = [...names].filter((name) => before.attributes[name] !== after.attributes[name]);
  if (!changed.every(isNodeFact)) return false;
  const read = attributesReadByRules(cib);
  return !changed.some((name) => read.has(name));
}

/**
 * Every node attribute a rule of the configuration names (an expression's attribute, a rule's
 * score-attribute), wherever the rule sits: constraints, resources' and defaults' sets, nodes.
 */
function attributesReadByRules(cib: Cib): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const each of value) visit(each);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const fields = value as Record<string, unknown>;
    if (typeof fields.attribute === "string") names.add(fields.attribute);
    if (typeof fields.scoreAttribute === "string") names.add(fields.scoreAttribute);
    for (const each of Object.values(fields)) visit(each);
  };
  visit({ ...cib, status: [] });
  return names;
}

/** Runs the DC's loop once: time out lost results, dispatch, finish, plan, publish. */
export function drive(context: Context, state: DcState, joined: boolean, nowMs: number, out: Effects): void {
  if (state.transition) {
    // A step whose result never comes (a message lost with a view change) fails after its
    // operation's timeout plus a margin, and the transition is re-planned.
    for (const step of state.transition.steps) {
      if (step.state !== "running" || step.kind === "fence" || step.deadlineMs === undefined || nowMs < step.deadlineMs) continue;
      step.state = "failed";
      state.transition.aborted = true;
      log(out, "warn", "no result for an operation in time; re-planning", { resource: step.resource, operation: step.kind, node: step.node });
    }
    dispatch(context, state, state.transition, out);
    if (isFinished(state.transition)) {
      const finished = state.transition;
      state.transition = undefined;
      wantPlan(state, `transition ${finished.id} ${finished.aborted ? "was aborted" : "finished"}`);
      finishTransitionRecord(context, finished, nowMs - state.lastPlanMs);
      log(out, finished.steps.some((step) => step.state === "failed") ? "warn" : "info", "transition finished", { transition: finished.id, steps: finished.steps.map(describeStep) });
      noteFutility(state, finished, nowMs, out);
    }
  }
  if (joined && !state.transition && state.needPlan) plan(context, state, nowMs, out);
  publishSummary(context, state, out);
  publishFenceHistory(context, state, out);
}

/** Steps in domain words without their states: two transitions with the same signature do the same. */
function signatureOf(transition: Transition): string {
  return transition.steps.map((step) => `${step.kind} ${step.resource ?? ""} ${step.node} ${step.fenceAction ?? ""}`).join("; ");
}

/** Counts failed transitions in a row with the same steps; backs off from the second. */
function noteFutility(state: DcState, finished: Transition, nowMs: number, out: Effects): void {
  // A failed fence is retried every fenceRetryMs already; a failed notification changes nothing.
  const failed = finished.steps.some((step) => step.kind !== "notify" && step.kind !== "fence" && step.state === "failed");
  if (!failed) {
    state.futile = undefined;
    return;
  }
  const signature = signatureOf(finished);
  const count = state.futile?.signature === signature ? state.futile.count + 1 : 1;
  state.futile = { signature, count };
  if (count < 2) return;
  const waitMs = Math.min(FUTILE_BACKOFF_MS_MAX, FUTILE_BACKOFF_MS * 2 ** (count - 2));
  state.planNotBeforeMs = Math.max(state.planNotBeforeMs, nowMs + waitMs);
  if (count === 2) log(out, "error", "the same transition failed again without doing anything; it is retried only after a pause that doubles each time (up to 60 s): see the failed actions", { steps: signature, waitMs });
}

/** The cap on the planning rate: true when a plan may run now; else holds it back (said once per episode). */
function mayPlan(state: DcState, nowMs: number, out: Effects): boolean {
  if (nowMs < state.planNotBeforeMs) return false;
  const recent = state.recentPlansMs;
  if (recent.length >= PLANS_PER_WINDOW && nowMs - recent[0]! < PLAN_WINDOW_MS) {
    state.planNotBeforeMs = recent[0]! + PLAN_WINDOW_MS;
    if (!state.throttled) log(out, "error", "planning too often; holding plans back (a bug or an input that changes all the time)", { plans: recent.length, windowMs: PLAN_WINDOW_MS });
    state.throttled = true;
    return false;
  }
  state.throttled = false;
  recent.push(nowMs);
  if (recent.length > PLANS_PER_WINDOW) recent.shift();
  return true;
}

function plan(context: Context, state: DcState, nowMs: number, out: Effects): void {
  // A join's own write (origin undefined) must be stored everywhere before anything runs.
  if ([...state.writes.values()].some((write) => write.origin === undefined)) return;
  const version = formatVersion(context.cib.version);
  for (const id of state.acked) {
    // A node fenced while still in the view has nothing to report any more.
    if (context.fencedInView.has(nameOf(context, id))) continue;
    const report = state.reports.get(nameOf(context, id));
    // Nothing is started anywhere until every member has probed the configuration in force.
    if (!report || !report.probed || report.cibVersion !== version || report.busy) return;
  }
  if (nowMs < state.fenceBlockedUntilMs) return;
  if (!mayPlan(state, nowMs, out)) return;
  assert(state.transition === undefined, "a transition was planned while another one runs");
  state.needPlan = false;
  state.lastPlanMs = nowMs;
  const cib = withStatus(context, state);
  const graph = schedule(cib, { now: context.epochSeconds });
  // Operations the scheduler held back (an ordering loop) wait for the next event, as in Pacemaker.
  for (const warning of graph.warnings ?? []) log(out, "warn", "transition incomplete: an ordering loop is held back", { detail: warning });
  // The DC runs the scheduler's graph as it is (the same one `simulate --graph` shows).
  const transition = compileTransition(state.nextTransitionId++, graph);
  markFencedHolders(cib, transition);
  // Each operation runs with the parameters the scheduler resolved for its node (rules, a group's or clone's sets).
  const parameters = operationParameters(cib, graph.operations, context.epochSeconds);
  for (const step of transition.steps) {
    const params = parameters.get(step.id);
    if (params !== undefined) step.params = params;
  }
  const reason = state.planReasons.length > 0 ? state.planReasons.join("; ") : "periodic recheck (cluster-recheck-interval)";
  state.planReasons = [];
  // The flight recorder keeps the input, the graph and why (the agent writes it; nothing is written here).
  out.push({ kind: "record-input", transition: transition.id, reason, nowSeconds: context.epochSeconds, cib, graph: { actions: graph.actions, operations: graph.operations }, steps: transition.steps.map(describeStep) });
  recordTransition(context, { id: transition.id, dc: localName(context), atSeconds: context.epochSeconds, reason, result: transition.steps.length === 0 ? "complete" : "running", steps: shownSteps(transition) });
  if (transition.steps.length === 0) return;
  log(out, "info", "transition planned", { transition: transition.id, steps: transition.steps.map(describeStep) });
  state.transition = transition;
  dispatch(context, state, transition, out);
}

/**
 * Marks the starts of resources whose former holders are all fenced by this transition (the
 * holders as the status the plan was made from shows them, this node aside). Such a start runs
 * only after those fences are confirmed, so nothing in the cluster answers for the resource any
 * more: the agent is told, so that it need not wait for an answer from a holder (ipaddr's
 * duplicate address detection). A resource with no known holder, or one that ran on a node
 * that is not fenced here (it left cleanly, say), is not marked.
 */
function markFencedHolders(cib: Cib, transition: Transition): void {
  const fenced = new Set(transition.steps.filter((step) => step.kind === "fence").map((step) => step.node));
  if (fenced.size === 0) return;
  const states = unpackResourceStates(cib);
  for (const step of transition.steps) {
    if (step.kind !== "start" || step.resource === undefined) continue;
    const base = step.resource.replace(/:\d+$/, "");
    const holders = [...new Set([...(states.get(step.resource)?.activeOn ?? []), ...(states.get(base)?.activeOn ?? [])])].filter((node) => node !== step.node);
    if (holders.length > 0 && holders.every((node) => fenced.has(node))) step.fencedHolders = holders;
  }
}

/**
 * True when every one of these nodes was last fenced by a device (the fence history's latest
 * done entry for it is an off or a reboot): a person's confirmation is a promise, not a reading,
 * and then the agent keeps its own checks (ipaddr's duplicate address detection).
 */
function fencedByDevice(context: Context, nodes: readonly string[] | undefined): boolean {
  if (nodes === undefined || nodes.length === 0) return false;
  return nodes.every((node) => {
    const last = context.fenceHistory.findLast((entry) => entry.target === node && entry.state === "done");
    return last !== undefined && last.action !== "confirm";
  });
}

function dispatch(context: Context, state: DcState, transition: Transition, out: Effects): void {
  // Unfencing ("fence on") lets a node in: only what needs it there waits for it (the graph's ordering).
  const fencing = transition.steps.some((each) => each.kind === "fence" && each.fenceAction !== "on" && each.state !== "done");
  for (const step of readySteps(transition)) {
    // Whatever graph the scheduler made: no resource starts or is promoted before every fence
    // of the transition is confirmed. Fencing devices are the exception, as in Pacemaker: one
    // may have to start to fence with it.
    if (fencing && (step.kind === "start" || step.kind === "promote" || step.kind === "migrate_to" || step.kind === "migrate_from")) assert(isFencingDevice(context.cib, step.resource), `${describeStep(step)} is ready before the transition's fencing is done`);
    step.state = "running";
    if (step.kind === "fence") {
      // A fencing of the same node that runs already (a person's request) is joined: its end ends this step.
      startFencing(context, state, { target: step.node, action: step.fenceAction ?? "reboot", transition: transition.id, step: step.id, reason: step.reason }, out);
      continue;
    }
    const id = idOf(context, step.node);
    if (id === undefined || !state.acked.has(id)) {
      step.state = "failed";
      transition.aborted = true;
      continue;
    }
    const operation = step.kind;
    const notify = { ...(step.notify ? { notify: step.notify } : {}), ...(step.migration ? { migration: step.migration } : {}), ...(fencedByDevice(context, step.fencedHolders) ? { formerHolderFenced: true } : {}), ...(step.params ? { params: step.params } : {}) };
    step.deadlineMs = context.nowMs + operationTimeoutMs(context.cib, step.resource!, operation, context.epochSeconds) + RESULT_MARGIN_MS;
    if (id === context.settings.localId) out.push({ kind: "run", transition: transition.id, step: step.id, ringId: context.ringId, resource: step.resource!, operation, ...notify });
    else out.push({ kind: "send", to: id, message: { t: "op", ringId: context.ringId, transition: transition.id, step: step.id, resource: step.resource!, operation, ...notify } });
  }
}

export interface OperationResult { transition: number; step: number; ok: boolean; reason?: string; report: NodeReport }

/** An operation's result, from the member `from` (the authenticated sender) or this node. */
export function onOpResult(context: Context, state: DcState, from: number, result: OperationResult, out: Effects): void {
  state.reports.set(nameOf(context, from), { ...result.report, node: nameOf(context, from) });
  const transition = state.transition;
  const step = transition?.id === result.transition ? transition.steps[result.step] : undefined;
  if (!transition || !step || step.state !== "running" || idOf(context, step.node) !== from) {
    wantPlan(state, `a result from ${nameOf(context, from)} for no running step`);
    return;
  }
  if (step.kind === "notify") {
    // A notification that fails changes nothing: the agent was only told; the change goes on.
    step.state = "done";
    if (!result.ok) log(out, "warn", "a notification failed; carrying on", { resource: step.resource, node: step.node, reason: result.reason });
    return;
  }
  step.state = result.ok ? "done" : "failed";
  if (result.ok) return;
  transition.aborted = true;
  log(out, "warn", "operation failed", { resource: step.resource, operation: step.kind, node: step.node, reason: result.reason });
  if (step.kind === "stop" && step.resource) {
    // A resource that cannot be stopped may still run: with fencing its node is made
    // safe by fencing it; without, the resource is blocked where it is (Pacemaker's rule).
    const stonith = optionsNow(context).stonithEnabled;
    if (stonith) state.stopFailedNodes.add(step.node);
    else state.blocked.add(step.resource);
    log(out, "error", stonith ? "a stop failed: the node will be fenced" : "a stop failed and fencing is off: the resource is blocked until cleaned up", { resource: step.resource, node: step.node });
  }
}

/** A fence this node ran ended (it may have stopped being the DC meanwhile). */
export function onFenceDone(context: Context, state: DcState | undefined, input: Extract<ControllerInput, { kind: "fence-done" }>, out: Effects): void {
  const unfencing = input.id.startsWith("unfence-");
  if (!fencingEnded(context, state, input, out)) return;
  if (input.ok && unfencing) {
    // Let in again, not down: the steps that wait for it go on, and the scheduler sees #node-unfenced.
    log(out, "info", "node unfenced", { target: input.target, reason: input.reason });
    if (!state) return;
    state.unfenced.set(input.target, input.epochSeconds);
    for (const step of state.transition?.steps ?? []) if (step.kind === "fence" && step.fenceAction === "on" && step.node === input.target && step.state === "running") step.state = "done";
    wantPlan(state, `${input.target} was unfenced`);
    return;
  }
  if (input.ok) {
    // Confirmed down: nothing runs there any more, and it is no longer expected up.
    nodeDown(context, state, input.target, `${input.target} was fenced`);
    log(out, "info", "node fenced", { target: input.target, reason: input.reason });
    return;
  }
  log(out, "error", unfencing ? "unfencing failed; what needs it does not start on that node until it succeeds" : "fencing failed; resources of that node stay where they are until it succeeds", { target: input.target, reason: input.reason });
  if (!state) return;
  state.fenceBlockedUntilMs = input.nowMs + context.settings.fenceRetryMs;
  // Every step waiting for this node's fencing failed with it.
  for (const step of state.transition?.steps ?? []) {
    if (step.kind !== "fence" || step.node !== input.target || step.state !== "running") continue;
    step.state = "failed";
    state.transition!.aborted = true;
  }
  wantPlan(state, `fencing ${input.target} failed`);
}

/** The steps a transition record shows: the first TRANSITION_STEPS_SHOWN_MAX, then how many more. */
function shownSteps(transition: Transition): string[] {
  const steps = transition.steps.slice(0, TRANSITION_STEPS_SHOWN_MAX).map(describeStep);
  const more = transition.steps.length - steps.length;
  return more > 0 ? [...steps, `... and ${more} more`] : steps;
}

/**
 * Keeps a planned transition for `status --full` and the status page. A transition with
 * nothing to do replaces one just before it that had nothing to do either, so that rechecks
 * and node facts that change every minute do not push the transitions that did something out.
 */
function recordTransition(context: Context, record: TransitionRecord): void {
  const records = context.transitionRecords;
  const last = records.at(-1);
  if (record.steps.length === 0 && last !== undefined && last.steps.length === 0) records.pop();
  records.push(record);
  if (records.length > TRANSITIONS_KEPT) records.splice(0, records.length - TRANSITIONS_KEPT);
}

function finishTransitionRecord(context: Context, finished: Transition, durationMs: number): void {
  // The newest: a DC elected again (or in a later term) numbers its transitions from 1 anew.
  const record = context.transitionRecords.findLast((each) => each.id === finished.id && each.dc === localName(context));
  if (!record) return;
  record.result = finished.steps.some((step) => step.state === "failed") ? "failed" : finished.aborted ? "aborted" : "complete";
  record.steps = shownSteps(finished);
  record.durationMs = Math.max(0, durationMs);
}
