// Nodes added and removed live (`edgeha cluster node add|remove`): one versioned change of the
// cluster's node list, made durable on every member before the command succeeds.
//
//   asker  -> member  {"t":"nodes-change","requestId":N,"version":V,"nodes":[{name,id,links}...]}
//   member -> asker   {"t":"nodes-change-ack","requestId":N,"ok":true|false,"code"?:E_...,"message":TEXT}
//
// Each member rewrites its own bootstrap file (src/config/node-change.ts: only the node list,
// config_version and the quorum keys that follow from it change), atomically and durably, then
// applies it live (membership, quorum, the controller's node list) and only then acknowledges;
// the asking node stores it last, once every other member holds it. A member that holds
// config_version V with the same node list already answers ok at once, so a command that failed
// half-way is finished by running it again. A node the new list leaves
// out acknowledges, then leaves the cluster cleanly (it runs nothing: it was drained first).
//
// Order (corosync's rule for a reload that shrinks the token: every member must run the shorter
// token before a node change is made, or a member still on the old timing declares the others
// lost under the new view): a change is refused while any member's cluster-wide settings other
// than the node list differ from this node's (a reload not yet done everywhere).
import type { Logger } from "../common/log";
import { firstRequestId } from "../common/request-ids";
import { EdgehaError, isEdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import { changeNodeList, hasNodeList, nodesWithAdded, nodesWithout, readConfigText, type BootstrapConfig, type NodeConfig } from "../config";
import type { Cib } from "../cib";

/** The advert feature every member must have before the node list may change live. */
export const NODE_CHANGE_FEATURE = "config-change";
/** How long the asker waits for every member's acknowledgement. */
export const NODE_CHANGE_WAIT_MS = 10_000;
/** Settings that differ between members while a node change is half done (a retry finishes it). */
const NODE_LIST_FIELDS = new Set(["nodes", "quorum.expected_votes", "quorum.two_node", "quorum.wait_for_all"]);

export interface NodeChangeAnswer {
  ok: boolean;
  code?: string;
  message: string;
}

export type NodeChangeMessage =
  | { t: "nodes-change"; requestId: number; version: number; nodes: NodeConfig[] }
  | { t: "nodes-change-ack"; requestId: number; answer: NodeChangeAnswer };

const TEXT_MAX = 2000;
const NODES_MAX = 64;
const LINKS_MAX = 8;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkNode(value: unknown): NodeConfig | undefined {
  if (!isObject(value)) return undefined;
  const { name, id, links } = value;
  if (typeof name !== "string" || name.length === 0 || name.length > 200 || !Number.isSafeInteger(id) || (id as number) < 1 || (id as number) > 65_535) return undefined;
  if (!Array.isArray(links) || links.length === 0 || links.length > LINKS_MAX || !links.every((link) => typeof link === "string" && link.length > 0 && link.length <= 100)) return undefined;
  return { name, id: id as number, links: links as string[] };
}

/** The message if it is a valid node-change message, undefined if it is another message, the problem for a broken one. */
export function parseNodeChangeMessage(value: unknown): NodeChangeMessage | string | undefined {
  if (!isObject(value) || (value.t !== "nodes-change" && value.t !== "nodes-change-ack")) return undefined;
  if (!Number.isSafeInteger(value.requestId) || (value.requestId as number) < 0) return `${value.t}: requestId must be a non-negative integer`;
  const requestId = value.requestId as number;
  if (value.t === "nodes-change") {
    if (!Number.isSafeInteger(value.version) || (value.version as number) < 1) return "nodes-change: version must be a positive integer";
    if (!Array.isArray(value.nodes) || value.nodes.length === 0 || value.nodes.length > NODES_MAX) return `nodes-change: nodes must list 1 to ${NODES_MAX} nodes`;
    const nodes = value.nodes.map(checkNode);
    if (nodes.some((node) => node === undefined)) return "nodes-change: each node needs a name, an id (1-65535) and links";
    return { t: "nodes-change", requestId, version: value.version as number, nodes: nodes as NodeConfig[] };
  }
  const answer = value.answer;
  if (!isObject(answer) || typeof answer.ok !== "boolean" || typeof answer.message !== "string" || answer.message.length > TEXT_MAX) return `nodes-change-ack: answer needs ok and a message of at most ${TEXT_MAX} characters`;
  if (answer.code !== undefined && (typeof answer.code !== "string" || !/^E_[A-Z0-9_]{1,60}$/.test(answer.code))) return "nodes-change-ack: code must be an E_ code";
  return { t: "nodes-change-ack", requestId, answer: { ok: answer.ok, message: answer.message, ...(answer.code === undefined ? {} : { code: answer.code as string }) } };
}

export interface NodeChangeHost {
  localId: number;
  /** This process's incarnation: request ids start from it (see ClusterVerbsHost.incarnation). */
  incarnation?: number;
  logger: Logger;
  /** The bootstrap file the agent runs from (undefined: started without one, no change possible). */
  configFile: string | undefined;
  /** The bootstrap config in force. */
  running(): BootstrapConfig;
  /** The members of this node's view, itself included. */
  members(): readonly number[];
  quorate(): boolean;
  send(to: number, payload: Buffer): void;
  advert(id: number): { features: readonly string[]; software: string };
  /** The cluster-wide settings in which a member's bootstrap config differs from this node's (by key). */
  configDifferences(id: number): readonly string[];
  /** Puts a checked config in force here: the controller's node list, membership and quorum. */
  apply(next: BootstrapConfig): Promise<void>;
  /** The new node list leaves this node out: leave the cluster cleanly. */
  removed(): void;
  /** The resources the DC's last summary shows active on `name` (undefined: no summary yet). */
  resourcesOn(name: string): string[] | undefined;
  /** Whether this node runs resources itself (its own executor's view). */
  runsResources(): boolean;
  /** Changes the CIB through the DC as an admin edit does (edit returns false: nothing to change); throws E_ codes. */
  editCib(edit: (cib: Cib) => boolean): Promise<void>;
  /** Issues a one-time join token for `node`, served by this node's agent. */
  issueToken(node: NodeConfig): { token: string; expiresAt: string };
}

/** How long `cluster node remove` waits for the node's resources to move away, unless told otherwise. */
export const DRAIN_WAIT_MS_DEFAULT = 120_000;
const DRAIN_POLL_MS = 250;

export interface NodeAddOutcome extends NodeChangeOutcome {
  /** The join token for the new node (only when the change succeeded). */
  join?: { node: string; token: string; expiresAt: string };
}

export interface NodeChangeOutcome {
  ok: boolean;
  code?: string;
  message: string;
  version: number;
  /** The nodes that acknowledged (stored and applied) the change, this one included. */
  acknowledged: string[];
  /** The nodes that did not, and why. */
  missing: Array<{ node: string; reason: string }>;
}

export class NodeChanges {
  private readonly waits = new Map<number, { answers: Map<number, NodeChangeAnswer>; waiting: Set<number>; done: () => void }>();
  private nextRequestId: number;
  /** Changes are applied here one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: NodeChangeHost) {
    this.nextRequestId = firstRequestId(host.incarnation);
  }

  /** Handles a peer message if it is a node-change message: true when it was one, the problem for a broken one. */
  receive(from: number, value: unknown): boolean | string {
    const message = parseNodeChangeMessage(value);
    if (message === undefined) return false;
    if (typeof message === "string") return message;
    if (message.t === "nodes-change-ack") {
      const wait = this.waits.get(message.requestId);
      if (wait && wait.waiting.delete(from)) {
        wait.answers.set(from, message.answer);
        if (wait.waiting.size === 0) wait.done();
      }
      return true;
    }
    // Only a configured node may change the node list (the transport authenticated `from`).
    if (!this.host.running().nodes.some((node) => node.id === from)) return "nodes-change from a node that is not in this node's list";
    this.host.logger.info({ from: this.nameOf(from), version: message.version, nodes: message.nodes.map((node) => node.name) }, "a member changes the cluster's node list");
    void this.applyHere(message.version, message.nodes).then((answer) => {
      this.host.send(from, Buffer.from(JSON.stringify({ t: "nodes-change-ack", requestId: message.requestId, answer })));
      if (answer.ok && !message.nodes.some((node) => node.id === this.host.localId)) this.host.removed();
    });
    return true;
  }

  private nameOf(id: number): string {
    return this.host.running().nodes.find((node) => node.id === id)?.name ?? `node-${id}`;
  }

  /** Stores and applies a node list here (one change at a time); never throws. */
  applyHere(version: number, nodes: readonly NodeConfig[]): Promise<NodeChangeAnswer> {
    const result = this.queue.then(() => this.applyNow(version, nodes));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async applyNow(version: number, nodes: readonly NodeConfig[]): Promise<NodeChangeAnswer> {
    const running = this.host.running();
    if (!nodes.some((node) => node.id === this.host.localId)) return { ok: true, message: "left out of the new node list: leaving the cluster" };
    if (hasNodeList(running, nodes) && running.configVersion >= version) return { ok: true, message: `holds config_version ${running.configVersion} with this node list already` };
    if (running.configVersion >= version) {
      return { ok: false, code: "E_NODE_CHANGE_CONFLICT", message: `runs config_version ${running.configVersion} already, with another node list (${running.nodes.map((node) => node.name).join(", ")}): another change was made meanwhile; check 'edgeha status' and run the command again` };
    }
    const file = this.host.configFile;
    if (file === undefined) return { ok: false, code: "E_NODE_CHANGE_FILE", message: "this agent was started without a config file, so it cannot store a new node list" };
    try {
      const change = changeNodeList(running, readConfigText(file), file, nodes, version);
      writeFileDurably(file, change.text, { newFileMode: 0o644 });
      await this.host.apply(change.config);
      this.host.logger.info({ version, nodes: nodes.map((node) => node.name), file }, "stored and applied the cluster's new node list");
      return { ok: true, message: `stored config_version ${version} in ${file} and applied it` };
    } catch (error) {
      const code = isEdgehaError(error) ? error.code : "E_NODE_CHANGE_FILE";
      const message = error instanceof Error ? error.message : String(error);
      this.host.logger.error({ version, code, error: message }, "could not store or apply the cluster's new node list");
      return { ok: false, code, message };
    }
  }

  /**
   * Checks what a change needs before anything moves: quorum, every node that stays (or comes)
   * a member with the feature, and the members' other cluster-wide settings the same as here.
   * `joining`: the node being added (not running yet).
   */
  check(nodes: readonly NodeConfig[], joining?: number): void {
    const host = this.host;
    if (!host.quorate()) throw new EdgehaError("E_NODE_CHANGE_QUORUM", "this partition has no quorum: the node list changes only in a quorate cluster (start the missing nodes first, see 'edgeha status')");
    const members = host.members();
    const names = (ids: readonly number[]) => ids.map((id) => this.nameOf(id)).join(", ");
    const offline = nodes.filter((node) => node.id !== joining && node.id !== host.localId && !members.includes(node.id)).map((node) => node.id);
    if (offline.length > 0) {
      throw new EdgehaError("E_NODE_CHANGE_OFFLINE", `${names(offline)} ${offline.length === 1 ? "is" : "are"} not a member of this partition and could not store the new node list: start ${offline.length === 1 ? "it" : "them"} first, or remove ${offline.length === 1 ? "it" : "them"} first with 'edgeha cluster node remove'`);
    }
    const remote = members.filter((id) => id !== host.localId);
    const older = remote.filter((id) => !host.advert(id).features.includes(NODE_CHANGE_FEATURE));
    if (older.length > 0) throw new EdgehaError("E_NODE_CHANGE_UNSUPPORTED", `${names(older)} ${older.length === 1 ? "runs" : "run"} an edgeha build that cannot change the node list live (${host.advert(older[0]!).software}): upgrade every node first`);
    const differing = remote.flatMap((id) => {
      const fields = host.configDifferences(id).filter((field) => !NODE_LIST_FIELDS.has(field));
      return fields.length === 0 ? [] : [`${this.nameOf(id)} (${fields.join(", ")})`];
    });
    if (differing.length > 0) {
      throw new EdgehaError("E_NODE_CHANGE_CONFIG_DIFFERS", `the members' bootstrap configs differ from this node's in ${differing.join("; ")}: finish that change first (the same file everywhere, 'edgeha config reload' on each node), then change the nodes. A shorter token must be in force on every member before the node list changes`);
    }
  }

  /**
   * Makes `nodes` the cluster's node list as config_version running+1 (or the version the
   * members hold already, when the same list is there: a retry). `leaving`: a node the list
   * leaves out, told first (not waited for beyond a moment: it may be gone already).
   */
  async change(nodes: readonly NodeConfig[], joining: number | undefined, leaving: number | undefined): Promise<NodeChangeOutcome> {
    const host = this.host;
    const running = host.running();
    const version = hasNodeList(running, nodes) ? running.configVersion : running.configVersion + 1;
    const members = host.members();
    const required = nodes.filter((node) => node.id !== joining && node.id !== host.localId).map((node) => node.id);
    if (leaving !== undefined && leaving !== host.localId && members.includes(leaving)) {
      // Told first, while every member still lists it; it acknowledges and leaves cleanly.
      const answers = await this.ask([leaving], version, nodes, 3000);
      host.logger.info({ node: this.nameOf(leaving), answered: answers.has(leaving) }, "told the node removed from the list");
    }
    // The others first, this node last and only once they all hold it: a change that stopped
    // half-way is then finished by the same command on the same node (this node still has the
    // old list and sends the same version again; members that hold it answer at once).
    const answers = await this.ask(required, version, nodes, NODE_CHANGE_WAIT_MS);
    const othersHoldIt = required.every((id) => answers.get(id)?.ok === true);
    answers.set(host.localId, othersHoldIt ? await this.applyHere(version, nodes) : { ok: false, code: "E_NODE_CHANGE_UNACKED", message: "not stored here: this node stores the change last, once every other member holds it" });
    const acknowledged: string[] = [];
    const missing: Array<{ node: string; reason: string }> = [];
    for (const id of [host.localId, ...required]) {
      const answer = answers.get(id);
      if (answer?.ok) acknowledged.push(this.nameOf(id));
      else missing.push({ node: this.nameOf(id), reason: answer === undefined ? `no answer within ${NODE_CHANGE_WAIT_MS / 1000} s` : `${answer.code ?? "E_NODE_CHANGE_FILE"}: ${answer.message}` });
    }
    if (leaving === host.localId && missing.length === 0) host.removed();
    if (missing.length > 0) {
      return {
        ok: false, code: "E_NODE_CHANGE_UNACKED", version, acknowledged, missing,
        message: `config_version ${version} is stored on ${acknowledged.length > 0 ? acknowledged.join(", ") : "no node"} but not on ${missing.map((entry) => `${entry.node} (${entry.reason})`).join("; ")}: fix that and run the same command again (it finishes the change)`,
      };
    }
    return { ok: true, version, acknowledged, missing, message: `config_version ${version} is stored and in force on ${acknowledged.join(", ")}` };
  }

  /**
   * `cluster node add`: every member stores the node list with `node` in it (a retry of an add
   * that stopped half-way finishes it), then a join token for the new node is issued here.
   */
  async add(node: NodeConfig): Promise<NodeAddOutcome> {
    const running = this.host.running();
    const same = running.nodes.find((each) => each.name === node.name && each.id === node.id && JSON.stringify(each.links) === JSON.stringify(node.links));
    const nodes = same !== undefined ? running.nodes : nodesWithAdded(running, node);
    this.check(nodes, node.id);
    const outcome = await this.change(nodes, node.id, undefined);
    if (!outcome.ok) return outcome;
    const join = { node: node.name, ...this.host.issueToken(node) };
    return { ...outcome, join };
  }

  /**
   * `cluster node remove`: the node's resources move away first (it is put in standby, as
   * `node standby` does, and the DC moves only what runs there), then every remaining member
   * stores the node list without it, the node is told and leaves cleanly, and its entry leaves
   * the CIB (as crm_node --remove). Nothing is fenced: the node is drained before it goes.
   */
  async remove(name: string, drainWaitMs = DRAIN_WAIT_MS_DEFAULT): Promise<NodeChangeOutcome> {
    const host = this.host;
    const running = host.running();
    if (!running.nodes.some((node) => node.name === name)) {
      // Gone from this node's list already, but not from a member's: a removal that stopped half-way, finished now.
      const behind = host.members().filter((id) => id !== host.localId && host.configDifferences(id).includes("nodes"));
      if (behind.length > 0) {
        this.check(running.nodes);
        return this.change(running.nodes, undefined, undefined);
      }
    }
    const nodes = nodesWithout(running, name);
    const target = running.nodes.find((node) => node.name === name)!;
    if (target.id === host.localId && host.runsResources()) {
      throw new EdgehaError("E_NODE_REMOVE_LOCAL", `${name} is this node and it runs resources: run 'edgeha cluster node remove ${name}' on another member (it moves them away first), or 'edgeha node standby ${name}' and wait until nothing runs here`, { node: name });
    }
    this.check(nodes);
    const member = host.members().includes(target.id);
    if (member && target.id !== host.localId) {
      const active = host.resourcesOn(name);
      if (active === undefined || active.length > 0) {
        host.logger.info({ node: name, resources: active ?? [] }, "moving the resources away from the node to remove (standby)");
        await host.editCib((cib) => {
          const entry = cib.nodes.find((each) => each.uname === name);
          if (entry === undefined) return false;
          // The permanent attribute `node standby` writes: the first plain set of the node's.
          const set = entry.instance.find((each) => !each.idRef && !each.rule);
          if (set === undefined) {
            entry.instance.unshift({ id: `nodes-${entry.id}`, values: { standby: "on" } });
            return true;
          }
          if (set.values.standby === "on") return false;
          set.values.standby = "on";
          return true;
        });
        const untilMs = Date.now() + drainWaitMs;
        for (;;) {
          const still = host.resourcesOn(name);
          if (still !== undefined && still.length === 0) break;
          if (Date.now() >= untilMs) {
            throw new EdgehaError("E_NODE_REMOVE_DRAIN", `${name} still runs ${(still ?? ["(unknown: no summary from the DC)"]).join(", ")} after ${Math.round(drainWaitMs / 1000)} s in standby: nothing was removed. See 'edgeha status' (a resource that cannot run elsewhere stays); retry with a longer --wait, or 'edgeha node unstandby ${name}' to give up`, { node: name });
          }
          await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        }
      }
    }
    const outcome = await this.change(nodes, undefined, target.id);
    if (!outcome.ok || target.id === host.localId) return outcome;
    try {
      await host.editCib((cib) => {
        const before = cib.nodes.length;
        cib.nodes = cib.nodes.filter((each) => each.uname !== name);
        return cib.nodes.length !== before;
      });
    } catch (error) {
      return { ...outcome, message: `${outcome.message}; ${name}'s entry is still in the CIB (${error instanceof Error ? error.message : String(error)}): remove it with 'edgeha cluster node remove ${name}' again` };
    }
    return outcome;
  }

  /** Sends the change to `ids` and gathers their answers within waitMs; `local` runs meanwhile (its answer filed under this node). */
  private async ask(ids: readonly number[], version: number, nodes: readonly NodeConfig[], waitMs: number): Promise<Map<number, NodeChangeAnswer>> {
    const requestId = this.nextRequestId++;
    const answers = new Map<number, NodeChangeAnswer>();
    const waiting = new Set(ids);
    const gathered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.waits.set(requestId, { answers, waiting, done: () => { clearTimeout(timer); resolve(); } });
      if (waiting.size === 0) { clearTimeout(timer); resolve(); }
    });
    for (const id of ids) this.host.send(id, Buffer.from(JSON.stringify({ t: "nodes-change", requestId, version, nodes })));
    await gathered;
    this.waits.delete(requestId);
    return answers;
  }
}
