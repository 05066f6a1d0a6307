// A deterministic world for controllers: nodes exchange messages through a queue, views
// and quorum are set by the test, operations and fencing complete when the test says
// (or at once). Resources are just "running or not" per node.
import { checkControllerMessage, Controller, CONTROLLER_DEFAULTS, type ControllerEffect, type ControllerInput, type ControllerMessage, type FenceHistoryEntry, type NodeReport } from "../../../src/controller";
import { formatVersion, type Cib, type CibLineage, type OperationRecord } from "../../../src/cib";
import { digestAttributes } from "../../../src/executor/resource-rules";

export interface SimNode {
  id: number;
  name: string;
  controller: Controller;
  running: Set<string>;
  probedVersion: string;
  up: boolean;
  callId: number;
  history: Map<string, OperationRecord[]>;
  stored: Cib[];
  /** The lineage stored with the last configuration (the persist effect), as CibStore keeps it. */
  lineage?: CibLineage;
  exited: boolean;
  shutdown: boolean;
  /** Attributes the node publishes in its reports (node facts, a watchdog's timeout). */
  attributes?: Record<string, string>;
  /** The fence history as the node last stored it (the fence-history effect). */
  fenceHistory?: FenceHistoryEntry[];
}

export class ControllerWorld {
  nowMs = 0;
  readonly nodes: SimNode[] = [];
  readonly queue: Array<{ from: number; to: number; message: ControllerMessage }> = [];
  readonly fences: Array<{ id: string; target: string; by: string; transition: number; step: number; cib: Cib; action: string; cancelled?: boolean; byPerson?: true }> = [];
  readonly log: string[] = [];
  readonly replies = new Map<number, unknown>();
  /** The cleanup effects each node performed, in order. */
  readonly cleanups: Array<{ node: string; resource?: string; operation?: string; intervalMs?: number }> = [];
  /** Every operation run, in order: "operation resource on node" (with "source>target" for migrations). */
  readonly operations: string[] = [];
  /** Every start with the node it ran on and the fences done before it. */
  readonly starts: Array<{ resource: string; node: string; fencedBefore: string[]; unfencedBefore: string[]; formerHolderFenced: boolean; params?: Record<string, string> }> = [];
  /** The parameters each operation was sent with ("operation resource on node" -> params), when it had any. */
  readonly parameters = new Map<string, Record<string, string>>();
  readonly fenced: string[] = [];
  /** Nodes unfenced ("fence on" done), in order: they stay up. */
  readonly unfenced: string[] = [];
  autoFence = true;
  /** While set, every message between nodes is lost. */
  dropMessages = false;
  /** Messages this returns true for are lost (by sender and receiver name). */
  dropIf: ((from: string, to: string, message: ControllerMessage) => boolean) | undefined;
  /** Configurations that lost a conflict, as each node was told to keep them. */
  readonly keptConflicts: Array<{ node: string; cib: Cib; lostFrom: string; version: string }> = [];
  /** Local completions (operations, probes) run after the effects that caused them, as real I/O would. */
  private readonly local: Array<() => void> = [];
  /** Tick a node only when its controller asks for it (nextTickMs), as the agent does; else every step. */
  tickOnDemand = false;
  /** Ticks fed to each node (by name). */
  readonly ticks = new Map<string, number>();
  failStart = new Set<string>();
  /** "resource@node" left unprobed there (no history reported), as on a node whose probe has not run yet. */
  unprobed = new Set<string>();
  failStop = new Set<string>();
  /** Stops refused without a trace in the history (as an executor that no longer knows the resource did). */
  refuseStop = new Set<string>();

  private readonly names: string[];
  /** Each controller the world starts is a new incarnation of its node's process (as the membership's). */
  private incarnations = 0;

  constructor(names: string[], private readonly cib: Cib, private readonly extra: { quorumGraceMs?: number; twoNodeWithoutArbiter?: boolean } = {}) {
    this.names = names;
    names.forEach((name, index) => this.addNode(index + 1, name));
  }

  private addNode(id: number, name: string): SimNode {
    const settings = { ...CONTROLLER_DEFAULTS, ...this.extra, incarnation: ++this.incarnations, localId: id, nodes: this.namesList() };
    const node: SimNode = { id, name, controller: undefined as unknown as Controller, running: new Set(), probedVersion: "", up: true, callId: 0, history: new Map(), stored: [], exited: false, shutdown: false };
    node.controller = new Controller(settings, this.cib, this.report(node));
    const existing = this.nodes.findIndex((each) => each.id === id);
    if (existing === -1) this.nodes.push(node);
    else this.nodes[existing] = node;
    return node;
  }

  private namesList(): Array<{ id: number; name: string }> {
    return this.names.map((name, index) => ({ id: index + 1, name }));
  }

  node(name: string): SimNode {
    return this.nodes.find((node) => node.name === name)!;
  }

  report(node: SimNode): NodeReport {
    const resources: NodeReport["resources"] = {};
    for (const [id, operations] of node.history) resources[id] = { class: "ocf", provider: "heartbeat", type: "Dummy", operations };
    return { node: node.name, probed: node.probedVersion !== "", cibVersion: node.probedVersion, busy: false, resources, attributes: { ...node.attributes }, shutdown: node.shutdown };
  }

  /** `params`: what the operation ran with (the DC's), digested into the record as the executor does. */
  private record(node: SimNode, resource: string, operation: string, rc: number, params?: Record<string, string>): void {
    const migrations = (node.history.get(resource) ?? []).filter((record) => record.operation.startsWith("migrate_"));
    node.history.set(resource, [...migrations, { id: `${resource}_last_0`, operation, callId: ++node.callId, rcCode: rc, opStatus: 0, intervalMs: 0, attributes: digestAttributes(operation, 0, params) }]);
  }

  feed(node: SimNode, input: ControllerInput): void {
    if (!node.up) return;
    this.perform(node, node.controller.handle(input));
  }

  private perform(node: SimNode, effects: ControllerEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case "send": {
          // What the agent does: the message crosses the wire as JSON and is checked on arrival.
          // Every message a controller sends must pass the checks.
          const parsed = checkControllerMessage(JSON.parse(JSON.stringify(effect.message)));
          if (!parsed.ok) throw new Error(`${node.name} sent a message the checks refuse: ${parsed.problem}`);
          this.queue.push({ from: node.id, to: effect.to, message: parsed.message });
          break;
        }
        case "persist":
          node.stored.push(effect.cib);
          node.lineage = effect.lineage;
          break;
        case "keep-conflict":
          this.keptConflicts.push({ node: node.name, cib: effect.cib, lostFrom: effect.conflict.lostFrom, version: effect.conflict.version });
          break;
        case "configure":
          this.local.push(() => this.configure(node, effect.cib));
          break;
        case "run":
          this.local.push(() => this.runOperation(node, effect));
          break;
        case "fence":
          this.fences.push({ id: effect.id, target: effect.target, by: node.name, transition: effect.transition, step: effect.step, cib: effect.cib, action: effect.action, ...(effect.byPerson ? { byPerson: effect.byPerson } : {}) });
          if (this.autoFence) { const index = this.fences.length - 1; this.local.push(() => this.completeFence(node, index, true)); }
          break;
        case "reply":
          this.replies.set(effect.clientId, effect.reply);
          break;
        case "may-exit":
          node.exited = true;
          break;
        case "fence-cancel":
          // As the agent does: the fencing stops, and no result is fed for it.
          for (const fence of this.fences) if (fence.id === effect.id) fence.cancelled = true;
          break;
        case "fence-history":
          node.fenceHistory = effect.records;
          break;
        case "cleanup":
          this.cleanups.push({ node: node.name, ...(effect.resource === undefined ? {} : { resource: effect.resource }), ...(effect.operation === undefined ? {} : { operation: effect.operation, intervalMs: effect.intervalMs }) });
          break;
        case "log":
          this.log.push(`${node.name}: ${effect.message} ${JSON.stringify(effect.fields)}`);
          break;
      }
    }
  }

  private configure(node: SimNode, cib: Cib): void {
    if (!node.up) return;
    for (const resource of cib.resources) {
      const ids = resource.kind === "group" ? resource.members.map((member) => member.id) : [resource.id];
      for (const id of ids) if (!node.history.has(id) && !this.unprobed.has(`${id}@${node.name}`)) this.record(node, id, "monitor", node.running.has(id) ? 0 : 7);
    }
    node.probedVersion = formatVersion(cib.version);
    this.feed(node, { kind: "local-report", nowMs: this.nowMs, report: this.report(node) });
  }

  private runOperation(node: SimNode, effect: Extract<ControllerEffect, { kind: "run" }>): void {
    if (!node.up) return;
    let ok = true;
    this.operations.push(`${effect.operation} ${effect.resource} on ${node.name}${effect.migration ? ` ${effect.migration.source}>${effect.migration.target}` : ""}`);
    if (effect.params !== undefined) this.parameters.set(`${effect.operation} ${effect.resource} on ${node.name}`, effect.params);
    if (effect.operation === "migrate_to" || effect.operation === "migrate_from") {
      // Kept beside the last operation, with both nodes, as the executor keeps migrations.
      const records = (node.history.get(effect.resource) ?? []).filter((record) => record.operation !== effect.operation);
      records.push({ id: `${effect.resource}_${effect.operation}_0`, operation: effect.operation, callId: ++node.callId, rcCode: 0, opStatus: 0, intervalMs: 0, attributes: { migrate_source: effect.migration!.source, migrate_target: effect.migration!.target, ...digestAttributes(effect.operation, 0, effect.params) } });
      node.history.set(effect.resource, records);
      if (effect.operation === "migrate_from") node.running.add(effect.resource);
    } else if (effect.operation === "start") {
      ok = !this.failStart.has(`${effect.resource}@${node.name}`);
      if (ok) node.running.add(effect.resource);
      this.starts.push({ resource: effect.resource, node: node.name, fencedBefore: [...this.fenced], unfencedBefore: [...this.unfenced], formerHolderFenced: effect.formerHolderFenced === true, ...(effect.params ? { params: effect.params } : {}) });
      this.record(node, effect.resource, "start", ok ? 0 : 1, effect.params);
    } else if (this.refuseStop.has(`${effect.resource}@${node.name}`)) {
      ok = false;
    } else if (this.failStop.has(`${effect.resource}@${node.name}`)) {
      ok = false;
      this.record(node, effect.resource, "stop", 1);
    } else {
      node.running.delete(effect.resource);
      this.record(node, effect.resource, "stop", 0);
    }
    this.feed(node, { kind: "local-op-done", nowMs: this.nowMs, transition: effect.transition, step: effect.step, ringId: effect.ringId, ok, report: this.report(node) });
  }

  completeFence(by: SimNode, index: number, ok: boolean): void {
    const fence = this.fences[index]!;
    if (fence.cancelled) return;
    if (ok && fence.action === "on") this.unfenced.push(fence.target);
    else if (ok) {
      this.fenced.push(fence.target);
      const target = this.node(fence.target);
      target.up = false;
      target.running.clear();
    }
    this.feed(by, { kind: "fence-done", nowMs: this.nowMs, id: fence.id, transition: fence.transition, step: fence.step, target: fence.target, ok, reason: "test", epochSeconds: 1_000 + this.nowMs / 1000 });
  }

  /** Sets the view on the given nodes (all of them agree on it). */
  view(ringId: number, members: string[], quorate = true): void {
    const ids = members.map((name) => this.node(name).id);
    for (const name of members) this.feed(this.node(name), { kind: "view", nowMs: this.nowMs, ringId, members: ids, quorate });
  }

  /** Delivers queued messages (between up nodes of one view) until quiet, and ticks the clock. */
  run(ms: number, stepMs = 100): void {
    for (let elapsed = 0; elapsed <= ms; elapsed += stepMs) {
      for (let guard = 0; (this.queue.length > 0 || this.local.length > 0) && guard < 10_000; guard++) {
        if (this.queue.length === 0) { this.local.shift()!(); continue; }
        const { from, to, message } = this.queue.shift()!;
        const target = this.nodes.find((node) => node.id === to)!;
        const sender = this.nodes.find((node) => node.id === from)!;
        if (this.dropMessages || !target.up || !sender.up || this.dropIf?.(sender.name, target.name, message)) continue;
        this.feed(target, { kind: "message", nowMs: this.nowMs, from, message });
      }
      for (const node of this.nodes) {
        if (this.tickOnDemand && !((node.controller.nextTickMs(stepMs) ?? Infinity) <= this.nowMs)) continue;
        this.ticks.set(node.name, (this.ticks.get(node.name) ?? 0) + 1);
        this.feed(node, { kind: "tick", nowMs: this.nowMs, epochSeconds: 1_000 + Math.floor(this.nowMs / 1000) });
      }
      this.nowMs += stepMs;
    }
  }

  /** The node asks to leave (`edgeha node stop`). */
  requestShutdown(name: string): void {
    const node = this.node(name);
    node.shutdown = true;
    this.feed(node, { kind: "local-report", nowMs: this.nowMs, report: this.report(node) });
  }

  /** A node loses power: it stops hearing and being heard; its resources die with it. */
  powerLoss(name: string): void {
    const node = this.node(name);
    node.up = false;
    node.running.clear();
  }

  /** The node's agent dies (kill -9): it stops hearing and being heard, but its resources keep running. */
  agentCrash(name: string): void {
    this.node(name).up = false;
  }

  /** The node boots again with a fresh controller and whatever configuration it stored last. */
  boot(name: string, fenceHistory = this.node(name).fenceHistory): SimNode {
    const old = this.node(name);
    const node = this.addNode(old.id, name);
    node.stored = old.stored;
    node.lineage = old.lineage;
    node.fenceHistory = fenceHistory;
    // What it stored comes back with its lineage, as the agent's CibStore.load() gives it.
    const stored = old.stored[old.stored.length - 1];
    node.controller = new Controller({ ...CONTROLLER_DEFAULTS, ...this.extra, incarnation: ++this.incarnations, localId: old.id, nodes: this.namesList() }, stored ?? this.cib, this.report(node), fenceHistory ?? [], stored !== undefined ? old.lineage : undefined);
    return node;
  }

  activeNodes(resource: string): string[] {
    return this.nodes.filter((node) => node.up && node.running.has(resource)).map((node) => node.name);
  }
}
