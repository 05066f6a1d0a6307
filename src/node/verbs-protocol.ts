// The whole-cluster verbs between agents (`edgeha cluster status|stop|enable|disable --all`):
// the node the CLI asked sends each member a request over the reliable channel; the member acts
// on its own node and answers. Handled by the agent (the controller has no part in them) and
// validated here like every peer message: shape, sizes, anything else is dropped.

export type VerbName = "view" | "stop" | "enable" | "disable";

/** One member's own view of the cluster, for `cluster status --all` (to spot a node that disagrees). */
export interface NodeView {
  node: string;
  dc: string | null;
  quorate: boolean;
  ringId: number;
  /** The members this node sees, by name, sorted. */
  members: string[];
  cibVersion: string;
  /** The resources this node runs, by id, sorted. */
  running: string[];
  /** The digest of the cluster-wide part of its bootstrap config. */
  configDigest: string;
  /** The protocol version in use. */
  protocol: number | null;
  version: string;
}

export interface VerbAnswer {
  ok: boolean;
  message: string;
  view?: NodeView;
}

export type VerbMessage =
  | { t: "verb-request"; requestId: number; verb: VerbName }
  | { t: "verb-reply"; requestId: number; answer: VerbAnswer };

const VERBS: ReadonlySet<string> = new Set(["view", "stop", "enable", "disable"]);
const TEXT_MAX = 2000;
const NAME_MAX = 200;
const LIST_MAX = 10_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isName = (value: unknown): value is string => typeof value === "string" && value.length <= NAME_MAX;
const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.length <= LIST_MAX && value.every(isName);

function checkView(value: unknown): NodeView | string {
  if (!isObject(value)) return "view must be an object";
  const { node, dc, quorate, ringId, members, cibVersion, running, configDigest, protocol, version } = value;
  if (!isName(node) || !(dc === null || isName(dc)) || typeof quorate !== "boolean" || !Number.isSafeInteger(ringId)) return "view needs node, dc, quorate and ringId";
  if (!isNames(members) || !isNames(running)) return `view: members and running must be lists of at most ${LIST_MAX} names`;
  if (!isName(cibVersion) || !isName(configDigest) || !isName(version) || !(protocol === null || Number.isSafeInteger(protocol))) return "view needs cibVersion, configDigest, version and protocol";
  return { node, dc, quorate, ringId: ringId as number, members, cibVersion, running, configDigest, protocol: protocol as number | null, version };
}

/** The message if it is a valid verb message, undefined if it is some other message, a string naming the problem if it is a broken one. */
export function parseVerbMessage(value: unknown): VerbMessage | string | undefined {
  if (!isObject(value) || (value.t !== "verb-request" && value.t !== "verb-reply")) return undefined;
  if (!Number.isSafeInteger(value.requestId) || (value.requestId as number) < 0) return `${value.t}: requestId must be a non-negative integer`;
  const requestId = value.requestId as number;
  if (value.t === "verb-request") {
    if (typeof value.verb !== "string" || !VERBS.has(value.verb)) return `verb-request: verb must be one of ${[...VERBS].join(", ")}`;
    return { t: "verb-request", requestId, verb: value.verb as VerbName };
  }
  const answer = value.answer;
  if (!isObject(answer) || typeof answer.ok !== "boolean" || typeof answer.message !== "string" || answer.message.length > TEXT_MAX) return `verb-reply: answer needs ok and a message of at most ${TEXT_MAX} characters`;
  if (answer.view === undefined) return { t: "verb-reply", requestId, answer: { ok: answer.ok, message: answer.message } };
  const view = checkView(answer.view);
  if (typeof view === "string") return `verb-reply: ${view}`;
  return { t: "verb-reply", requestId, answer: { ok: answer.ok, message: answer.message, view } };
}

/** One line per way the views disagree (empty when every member sees the same cluster). */
export function disagreements(views: readonly NodeView[]): string[] {
  const lines: string[] = [];
  const differ = <T>(what: string, of: (view: NodeView) => T, show: (value: T) => string) => {
    const values = new Map<string, string[]>();
    for (const view of views) {
      const key = show(of(view));
      values.set(key, [...(values.get(key) ?? []), view.node]);
    }
    if (values.size > 1) lines.push(`${what} differs: ${[...values].map(([value, nodes]) => `${nodes.join(", ")} ${nodes.length === 1 ? "sees" : "see"} ${value}`).join("; ")}`);
  };
  differ("the DC", (view) => view.dc, (dc) => dc ?? "no DC");
  differ("membership", (view) => view.members, (members) => `[${members.join(" ")}]`);
  differ("quorum", (view) => view.quorate, (quorate) => (quorate ? "quorum" : "NO quorum"));
  differ("the CIB version", (view) => view.cibVersion, (version) => version);
  differ("the cluster-wide config", (view) => view.configDigest, (digest) => `digest ${digest.slice(0, 12)}`);
  return lines;
}
