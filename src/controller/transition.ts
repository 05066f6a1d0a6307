// From the scheduler's action list to an executable graph: fences, stops and starts with
// the ordering edges between them, and the bookkeeping of running it (which steps are
// ready, which are running, what failed). Pure.
import { flattenSets, parseScore, type Cib, type Clone } from "../cib";
import { unpackResourceStates, type ScheduledAction } from "../scheduler";

export type StepKind = "fence" | "start" | "stop" | "promote" | "demote" | "notify";

export interface Step {
  id: number;
  kind: StepKind;
  node: string;
  resource?: string;
  fenceAction?: "off" | "reboot";
  /** Step ids that must be done first. */
  after: number[];
  state: "pending" | "running" | "done" | "failed" | "skipped";
  reason: string;
  /** While running: when the DC stops waiting for the result. */
  deadlineMs?: number;
  /** Notify steps: the notify_* meta values (type, operation, who starts, stops, ...). */
  notify?: Record<string, string>;
}

export interface Transition {
  id: number;
  steps: Step[];
  /** Stop dispatching: something unexpected happened; re-plan once the running steps end. */
  aborted: boolean;
}

/**
 * Compiles scheduler actions into steps. Edges: every start waits for every fence (no
 * resource starts anywhere before a lost node is confirmed fenced); a resource's start
 * waits for its own stop; group members start in order and stop in reverse order;
 * mandatory order constraints do the same between resources (symmetrical unless said
 * otherwise). Stops on a node that is down are not steps: fencing takes care of them.
 */
export function compileTransition(id: number, actions: readonly ScheduledAction[], cib: Cib, isUp: (node: string) => boolean): Transition {
  const steps: Step[] = [];
  const active = unpackResourceStates(cib);
  const add = (kind: StepKind, node: string, resource: string | undefined, reason: string, extra: Partial<Step> = {}): Step => {
    const step: Step = { id: steps.length, kind, node, resource, after: [], state: "pending", reason, ...extra };
    steps.push(step);
    return step;
  };
  for (const action of actions) {
    if (action.action === "fence" && action.node && !action.blocked) add("fence", action.node, undefined, action.reason, { fenceAction: action.kind === "off" ? "off" : "reboot" });
  }
  for (const action of actions) {
    const resource = action.resource;
    // A blocked action is needed but must not run (no quorum, an unrunnable dependency).
    if (resource === undefined || action.blocked) continue;
    switch (action.action) {
      case "promote":
      case "demote":
        if (action.node && isUp(action.node)) add(action.action, action.node, resource, action.reason);
        break;
      case "start":
        if (action.node) add("start", action.node, resource, action.reason);
        break;
      case "stop": {
        // A resource found active on several nodes may be listed with one stop: every copy stops.
        const copies = /:\d+$/.test(resource) ? [] : (active.get(resource)?.activeOn ?? []);
        for (const node of new Set([...(action.node ? [action.node] : []), ...copies])) {
          if (isUp(node) && !steps.some((step) => step.kind === "stop" && step.resource === resource && step.node === node)) add("stop", node, resource, action.reason);
        }
        break;
      }
      case "move":
        // A resource found active on several nodes moves as one line: every copy stops (one on the target too).
        for (const node of new Set([...(action.from ? [action.from] : []), ...(active.get(resource)?.activeOn ?? [])])) if (isUp(node)) add("stop", node, resource, action.reason);
        if (action.to) add("start", action.to, resource, action.reason);
        break;
      case "recover":
      case "restart":
      case "reload":
        if (action.node === undefined && action.to !== undefined) {
          // Recovery on another node (crm_simulate prints it with from/to): stop there, start here.
          const copies = new Set([...(action.from ? [action.from] : []), ...(active.get(resource)?.activeOn ?? [])]);
          for (const node of copies) if (isUp(node) && node !== action.to) add("stop", node, resource, action.reason);
          if ((active.get(resource)?.activeOn ?? []).includes(action.to) && isUp(action.to)) add("stop", action.to, resource, action.reason);
          add("start", action.to, resource, action.reason);
        } else if (action.node) {
          // Every running copy stops (a resource found active on several nodes), then one starts.
          const copies = new Set([action.node, ...(active.get(resource)?.activeOn ?? [])]);
          for (const node of copies) if (isUp(node) && !steps.some((step) => step.kind === "stop" && step.resource === resource && step.node === node)) add("stop", node, resource, action.reason);
          add("start", action.node, resource, action.reason);
        }
        break;
      default:
        break;
    }
  }
  const fences = steps.filter((step) => step.kind === "fence").map((step) => step.id);
  const startOf = (resource: string) => steps.filter((step) => step.kind === "start" && step.resource === resource);
  const stopOf = (resource: string) => steps.filter((step) => step.kind === "stop" && step.resource === resource);
  const edge = (from: Step[], to: Step[]) => {
    for (const target of to) for (const source of from) if (!target.after.includes(source.id)) target.after.push(source.id);
  };
  const ofKind = (kind: StepKind, resource: string) => steps.filter((step) => step.kind === kind && step.resource === resource);
  for (const step of steps) {
    if (step.kind === "start" || step.kind === "promote") step.after.push(...fences);
    if (step.kind === "start") edge(stopOf(step.resource!), [step]);
    // A role change follows the start (promote) or precedes the stop (demote) of the same resource.
    if (step.kind === "promote") edge([...ofKind("start", step.resource!), ...ofKind("demote", step.resource!)], [step]);
    if (step.kind === "stop") edge(ofKind("demote", step.resource!), [step]);
  }
  const chains: Array<{ first: string; then: string; symmetrical: boolean }> = [];
  for (const resource of cib.resources) {
    if (resource.kind !== "group") continue;
    for (let index = 1; index < resource.members.length; index++) chains.push({ first: resource.members[index - 1]!.id, then: resource.members[index]!.id, symmetrical: true });
  }
  for (const constraint of cib.constraints) {
    if (constraint.kind !== "order") continue;
    const kind = (constraint.orderKind ?? "").toLowerCase();
    const mandatory = kind === "mandatory" || (kind === "" && (constraint.score === undefined || parseScore(constraint.score) > 0));
    if (!mandatory) continue;
    if ((constraint.firstAction ?? "start") !== "start" || (constraint.thenAction ?? constraint.firstAction ?? "start") !== "start") continue;
    chains.push(...expandMembers(cib, constraint.first, constraint.then, (constraint.symmetrical ?? "true") !== "false"));
  }
  for (const chain of chains) {
    edge(startOf(chain.first), startOf(chain.then));
    if (chain.symmetrical) edge(stopOf(chain.then), stopOf(chain.first));
  }
  for (const resource of cib.resources) {
    if (resource.kind === "clone" && /^(true|yes|on|1)$/i.test(flattenSets(resource.meta).notify ?? "")) addNotifications(resource, steps, active, cib, isUp, add, edge);
  }
  return { id, steps, aborted: false };
}

const NOTIFY_ORDER = ["demote", "stop", "start", "promote"] as const;

/**
 * Clone notifications (meta notify=true), as Pacemaker sends them: around each kind of change
 * to the clone's instances in this transition, a "pre" notification to every node where an
 * instance is active before it, then the changes, then a "post" notification to every node
 * where one is active after it; demote, stop, start and promote follow one another in that
 * order. Each carries who is starting, stopping, promoted, ... (notify_* meta values).
 */
function addNotifications(clone: Clone, steps: Step[], active: ReturnType<typeof unpackResourceStates>, cib: Cib, isUp: (node: string) => boolean,
  add: (kind: StepKind, node: string, resource: string | undefined, reason: string, extra?: Partial<Step>) => Step, edge: (from: Step[], to: Step[]) => void): void {
  const child = clone.child.kind === "group" ? clone.child.members[0]! : clone.child;
  const base = (resource: string | undefined) => resource?.replace(/:\d+$/, "");
  const mine = (kind: StepKind) => steps.filter((step) => step.kind === kind && base(step.resource) === child.id);
  const state = active.get(child.id);
  let running = new Set((state?.activeOn ?? []).filter(isUp));
  const promoted = new Set(state?.promotedOn ?? []);
  const list = (items: Iterable<string>) => [...items].join(" ");
  const changes = Object.fromEntries(NOTIFY_ORDER.map((kind) => [kind, mine(kind)])) as Record<(typeof NOTIFY_ORDER)[number], Step[]>;
  const allNodes = cib.nodes.map((node) => node.uname);
  const values = (type: "pre" | "post", operation: string, nodes: Set<string>): Record<string, string> => {
    const out: Record<string, string> = { notify_type: type, notify_operation: operation };
    for (const kind of NOTIFY_ORDER) {
      out[`notify_${kind}_resource`] = list(changes[kind].map((step) => step.resource!));
      out[`notify_${kind}_uname`] = list(changes[kind].map((step) => step.node));
    }
    out.notify_active_resource = list([...nodes].map(() => child.id));
    out.notify_active_uname = list(nodes);
    out.notify_inactive_resource = list(allNodes.filter((node) => !nodes.has(node)).map(() => child.id));
    out.notify_available_uname = list(allNodes.filter(isUp));
    out.notify_all_uname = list(allNodes);
    const promotedNow = [...nodes].filter((node) => promoted.has(node));
    const unpromotedNow = [...nodes].filter((node) => !promoted.has(node));
    for (const [name, members] of [["promoted", promotedNow], ["master", promotedNow], ["unpromoted", unpromotedNow], ["slave", unpromotedNow]] as const) {
      out[`notify_${name}_resource`] = list(members.map(() => child.id));
      out[`notify_${name}_uname`] = list(members);
    }
    return out;
  };
  let previousPost: Step[] = [];
  for (const kind of NOTIFY_ORDER) {
    const changed = changes[kind];
    if (changed.length === 0) continue;
    // The instance a node's notification goes to: the one changing there, else the clone's child.
    const instanceOn = (node: string) => Object.values(changes).flat().find((step) => step.node === node)?.resource ?? child.id;
    const pre = [...running].map((node) => add("notify", node, instanceOn(node), `pre-${kind} notification`, { notify: values("pre", kind, running) }));
    edge(previousPost, pre);
    edge(pre, changed);
    if (kind === "stop") for (const step of changed) running.delete(step.node);
    if (kind === "start") running = new Set([...running, ...changed.map((step) => step.node)]);
    if (kind === "promote") for (const step of changed) promoted.add(step.node);
    if (kind === "demote") for (const step of changed) promoted.delete(step.node);
    const post = [...running].filter(isUp).map((node) => add("notify", node, instanceOn(node), `post-${kind} notification`, { notify: values("post", kind, running) }));
    edge(changed, post);
    previousPost = post;
  }
}

/** An order between groups means: the last member of the first before the first member of the then. */
function expandMembers(cib: Cib, first: string, then: string, symmetrical: boolean): Array<{ first: string; then: string; symmetrical: boolean }> {
  const members = (id: string) => {
    const resource = cib.resources.find((each) => each.id === id);
    return resource?.kind === "group" ? resource.members.map((member) => member.id) : [id];
  };
  const firsts = members(first);
  const thens = members(then);
  // Members are chained among themselves, so one edge each way between the ends suffices.
  return [{ first: firsts[firsts.length - 1]!, then: thens[0]!, symmetrical }];
}

/** Steps whose predecessors are all done (a failed or skipped predecessor blocks them). */
export function readySteps(transition: Transition): Step[] {
  if (transition.aborted) return [];
  const byId = transition.steps;
  return transition.steps.filter((step) => step.state === "pending" && step.after.every((id) => byId[id]!.state === "done"));
}

export function runningCount(transition: Transition): number {
  return transition.steps.filter((step) => step.state === "running").length;
}

/** Nothing more will happen: no step runs and none can become ready. */
export function isFinished(transition: Transition): boolean {
  return runningCount(transition) === 0 && readySteps(transition).length === 0;
}

export function succeeded(transition: Transition): boolean {
  return transition.steps.every((step) => step.state === "done");
}
