// The agent's side of the whole-cluster verbs (`edgeha cluster status|stop|enable|disable
// --all`): it asks every member of its view at once over the reliable channel and gathers the
// answers within a bounded wait; a member that does not answer, and a configured node that is
// not a member, are named, never waited for. A member asked acts on its own node only: it
// describes its own view, leaves gracefully (its resources stop or move, nobody is fenced), or
// enables or disables its own service.
import type { Logger } from "../common/log";
import { firstRequestId } from "../common/request-ids";
import type { ServiceAction, ServiceResult } from "./service-control";
import { parseVerbMessage, type NodeView, type VerbAnswer, type VerbMessage, type VerbName } from "./verbs-protocol";

/** The advert feature (src/membership/advert.ts) a member must have to be asked a verb. */
export const VERB_FEATURE: Readonly<Record<VerbName, string>> = { view: "status-all", stop: "cluster-stop", enable: "service-verbs", disable: "service-verbs" };

/** How long an answer is waited for: a view or a stop is immediate, systemctl may take a while. */
export const VERB_WAIT_MS: Readonly<Record<VerbName, number>> = { view: 5000, stop: 5000, enable: 20_000, disable: 20_000 };

export interface NodeAnswer extends VerbAnswer {
  node: string;
}

export interface VerbOutcome {
  /** This node's answer first, then the members' in the order of the config. */
  answers: NodeAnswer[];
  /** Configured nodes that did not answer, and why. */
  unreachable: Array<{ node: string; reason: string }>;
}

export interface ClusterVerbsHost {
  localId: number;
  /**
   * This process's incarnation (membership's: larger after every restart). Request ids start from
   * it, so a member's late answer to a request of this node's earlier process is never taken for
   * the answer to one of this process's (as the controller's forwarded requests, seed 922).
   */
  incarnation?: number;
  logger: Logger;
  /** The configured nodes (read at each call: a reload may change them). */
  nodes(): ReadonlyArray<{ id: number; name: string }>;
  /** The members of this node's current view, itself included. */
  members(): readonly number[];
  send(to: number, payload: Buffer): void;
  /** What a member announced: a member without a verb's feature runs an older build and is not asked. */
  advert(id: number): { features: readonly string[]; software: string };
  view(): NodeView;
  /** Asks this node to leave gracefully (as `edgeha node stop`). */
  leave(): void;
  service(action: ServiceAction): Promise<ServiceResult>;
}

export class ClusterVerbs {
  private readonly waits = new Map<number, { answers: Map<number, VerbAnswer>; waiting: Set<number>; done: () => void }>();
  private nextRequestId: number;

  constructor(private readonly host: ClusterVerbsHost) {
    this.nextRequestId = firstRequestId(host.incarnation);
  }

  /** Handles a peer message if it is a verb message: true when it was one (valid or not), the problem for a broken one. */
  receive(from: number, value: unknown): boolean | string {
    const message = parseVerbMessage(value);
    if (message === undefined) return false;
    if (typeof message === "string") return message;
    void this.onMessage(from, message);
    return true;
  }

  private nameOf(id: number): string {
    return this.host.nodes().find((each) => each.id === id)?.name ?? `node-${id}`;
  }

  private async onMessage(from: number, message: VerbMessage): Promise<void> {
    if (message.t === "verb-reply") {
      const wait = this.waits.get(message.requestId);
      if (!wait || !wait.waiting.delete(from)) return;
      wait.answers.set(from, message.answer);
      if (wait.waiting.size === 0) wait.done();
      return;
    }
    this.host.logger.info({ from: this.nameOf(from), verb: message.verb }, "a member asked this node for a whole-cluster verb");
    const answer = await this.answerLocally(message.verb, false);
    this.host.send(from, Buffer.from(JSON.stringify({ t: "verb-reply", requestId: message.requestId, answer })));
    // The leave starts once the answer is on its way: the asker hears first.
    if (message.verb === "stop") this.host.leave();
  }

  /** What this node does for a verb (the leave itself is started by the caller, after answering). */
  private async answerLocally(verb: VerbName, asker: boolean): Promise<VerbAnswer> {
    switch (verb) {
      case "view":
        return { ok: true, message: "", view: this.host.view() };
      case "stop":
        return { ok: true, message: asker ? "leaving (asked the others first)" : "leaving: its resources stop or move, then the agent exits" };
      case "enable":
      case "disable": {
        const result = await this.host.service(verb);
        return { ok: result.ok, message: result.ok ? `${result.command}: done` : `${result.command} failed: ${(result.output || "no output").slice(0, 500)}` };
      }
      default: {
        const unknown: never = verb;
        return unknown;
      }
    }
  }

  /**
   * Runs a verb on every member at once, this node included, and gathers the answers. For
   * `stop` every member is asked before this node leaves, so the DC sees the whole cluster
   * leaving together and stops the resources in order instead of moving them around.
   */
  async all(verb: VerbName): Promise<VerbOutcome> {
    const requestId = this.nextRequestId++;
    const inView = this.host.members().filter((id) => id !== this.host.localId);
    const older = inView.filter((id) => !this.host.advert(id).features.includes(VERB_FEATURE[verb]));
    const members = inView.filter((id) => !older.includes(id));
    const answers = new Map<number, VerbAnswer>();
    const waiting = new Set(members);
    const gathered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, VERB_WAIT_MS[verb]);
      this.waits.set(requestId, { answers, waiting, done: () => { clearTimeout(timer); resolve(); } });
      if (waiting.size === 0) { clearTimeout(timer); resolve(); }
    });
    for (const id of members) this.host.send(id, Buffer.from(JSON.stringify({ t: "verb-request", requestId, verb })));
    const local = await this.answerLocally(verb, true);
    await gathered;
    this.waits.delete(requestId);
    if (verb === "stop") this.host.leave();
    const localName = this.nameOf(this.host.localId);
    const nodes = this.host.nodes();
    const unreachable = [
      ...nodes.filter((node) => waiting.has(node.id)).map((node) => ({ node: node.name, reason: `no answer within ${VERB_WAIT_MS[verb] / 1000} s` })),
      ...nodes.filter((node) => older.includes(node.id)).map((node) => ({ node: node.name, reason: `runs an edgeha build that cannot take this verb through the cluster (${this.host.advert(node.id).software})` })),
      ...nodes.filter((node) => node.id !== this.host.localId && !inView.includes(node.id)).map((node) => ({ node: node.name, reason: "not a member of this node's partition (its agent is not running, or cannot be reached)" })),
    ];
    return {
      answers: [{ node: localName, ...local }, ...nodes.filter((node) => answers.has(node.id)).map((node) => ({ node: node.name, ...answers.get(node.id)! }))],
      unreachable,
    };
  }
}
