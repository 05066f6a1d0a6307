// GET /metrics: the Prometheus text format (version 0.0.4), rendered from a snapshot of the
// agent's state. Names and labels follow ha_cluster_exporter wherever a metric maps (so its
// dashboards work: ha_cluster_pacemaker_*, ha_cluster_corosync_*), and edgeha_* covers what
// only edgeha knows (frames dropped by reason, transition and fence durations, failovers).
// Pure: the agent hands in the snapshot; nothing here reads the clock or the world.
import { allPrimitives, flattenSets, parseScore, type Cib } from "../cib";
import { clusterOptionsAt } from "../scheduler";
import type { Histogram } from "../common/histogram";

const SCORE_INFINITY = 1_000_000;

/** What the agent knows, as the metrics read it. Everything is answered without quorum or DC. */
export interface MetricsSnapshot {
  version: string;
  cluster: string;
  node: { name: string; id: number };
  /** Every node of the bootstrap config, with its link addresses. */
  configuredNodes: ReadonlyArray<{ name: string; id: number; links: readonly string[] }>;
  ringId: number;
  members: ReadonlyArray<{ name: string; id: number; links: ReadonlyArray<{ address: string; state: string }> }>;
  quorum: { quorate: boolean; votes: number; expected: number; quorum: number };
  dc: string | null;
  summary: SummaryView | null;
  /** The configuration in force on this node. */
  cib: Cib;
  /** Transient node attributes as the DC last reported them (fail-count-*, node facts, ...). */
  nodeAttributes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Frame counters of the transport: accepted, each drop reason, sent kinds. */
  frames: Readonly<Record<string, number>>;
  counters: AgentCounters;
}

/** The part of the DC's summary the metrics read. */
export interface SummaryView {
  quorate: boolean;
  nodes: ReadonlyArray<{ name: string; state: string }>;
  resources: ReadonlyArray<{ id: string; agent: string; group?: string; clone?: string; role: string; nodes: readonly string[]; managed: boolean }>;
  fencing: ReadonlyArray<{ target: string; state: string }>;
}

/** Counters the agent keeps for the metrics (and the benchmarks). */
export interface AgentCounters {
  viewChanges: number;
  /** Seconds from a heartbeat sent on a link to the peer's answer, per peer and link. */
  roundTripSeconds: ReadonlyArray<{ peer: string; link: number; seconds: number }>;
  transitions: { completed: number; failed: number; duration: Histogram };
  fences: { succeeded: number; failed: number; duration: Histogram };
  /** The last failover seen on this node: when it happened and how long from the loss to the last start. */
  lastFailover: { atSeconds: number; durationSeconds: number } | undefined;
  eventLoopDelay: Histogram;
  eventLoopPauses: number;
  alerts: { sent: number; failed: number; dropped: number };
  startedAtSeconds: number;
}

/** Bucket bounds (seconds) for the duration histograms. */
export const DURATION_BOUNDS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
export const EVENT_LOOP_BOUNDS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Labels = Record<string, string>;
interface Family { name: string; help: string; type: "gauge" | "counter" | "histogram" | "untyped"; samples: Array<{ suffix?: string; labels: Labels; value: number }> }

/** Text-format escaping: label values escape backslash, quote and newline; help escapes backslash and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) {
    const labels = Object.entries(sample.labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
    lines.push(`${family.name}${sample.suffix ?? ""}${labels.length ? `{${labels.join(",")}}` : ""} ${formatValue(sample.value)}`);
  }
  return lines.join("\n");
}

/** Pacemaker's scores as numbers: INFINITY is one million, shown as +Inf (ha_cluster_exporter's convention). */
function scoreValue(score: number): number {
  if (score >= SCORE_INFINITY) return Number.POSITIVE_INFINITY;
  if (score <= -SCORE_INFINITY) return Number.NEGATIVE_INFINITY;
  return score;
}

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const families = [...pacemakerFamilies(snapshot), ...corosyncFamilies(snapshot), ...edgehaFamilies(snapshot)];
  return `${families.map(renderFamily).join("\n")}\n`;
}

function nodeStatuses(snapshot: MetricsSnapshot, name: string, state: string | undefined): string[] {
  const statuses: string[] = [];
  switch (state) {
    case "online": statuses.push("online"); break;
    case "standby": statuses.push("online", "standby"); break;
    case "maintenance": statuses.push("online", "maintenance"); break;
    case "shutting-down": statuses.push("online", "shutdown"); break;
    case "pending": statuses.push("pending"); break;
    case "unclean": statuses.push("unclean"); break;
    default: break;
  }
  // A node is expected up while it is a member or lost without being fenced (unclean).
  if (state !== undefined && state !== "offline") statuses.push("expected_up");
  if (snapshot.dc === name) statuses.push("dc");
  return statuses;
}

function pacemakerFamilies(snapshot: MetricsSnapshot): Family[] {
  const summary = snapshot.summary;
  const nodeStates = new Map((summary?.nodes ?? []).map((node) => [node.name, node.state]));
  const nodes: Family = { name: "ha_cluster_pacemaker_nodes", help: "The nodes in the cluster; one line per node, per status", type: "gauge", samples: [] };
  for (const node of snapshot.configuredNodes) {
    // Without a DC the node states are unknown; the members this node sees are still online to it.
    const state = summary ? nodeStates.get(node.name) : snapshot.members.some((member) => member.id === node.id) ? "online" : undefined;
    for (const status of nodeStatuses(snapshot, node.name, state)) nodes.samples.push({ labels: { node: node.name, type: "member", status }, value: 1 });
  }
  const resources: Family = { name: "ha_cluster_pacemaker_resources", help: "The resources in the cluster; one line per resource, per node, per status", type: "gauge", samples: [] };
  for (const resource of summary?.resources ?? []) {
    const status = resource.role === "FAILED" ? "failed" : resource.role === "Blocked" ? "blocked" : resource.nodes.length > 0 ? "active" : "stopped";
    const base = { agent: resource.agent, clone: resource.clone ?? "", group: resource.group ?? "", managed: String(resource.managed), resource: resource.id, role: resource.role.toLowerCase() };
    if (resource.nodes.length === 0) resources.samples.push({ labels: { ...base, node: "", status }, value: 1 });
    for (const node of resource.nodes) resources.samples.push({ labels: { ...base, node, status }, value: 1 });
  }
  const { options } = clusterOptionsAt(snapshot.cib, { now: Math.floor(Date.now() / 1000) });
  const primitives = allPrimitives(snapshot.cib.resources);
  const defaults = flattenSets(snapshot.cib.rscDefaults);
  // ha_cluster_exporter calls these three gauges, but promtool's lint refuses a gauge named
  // *_count or *_total; as untyped (which Prometheus stores alike) they keep the names that
  // existing dashboards query and pass `promtool check metrics`.
  const failCount: Family = { name: "ha_cluster_pacemaker_fail_count", help: "The fail count per node and resource", type: "untyped", samples: [] };
  const threshold: Family = { name: "ha_cluster_pacemaker_migration_threshold", help: "The migration-threshold per node and resource", type: "gauge", samples: [] };
  for (const node of snapshot.configuredNodes) {
    const counts = failCountsOf(snapshot.nodeAttributes[node.name] ?? {});
    for (const primitive of primitives) {
      failCount.samples.push({ labels: { node: node.name, resource: primitive.id }, value: scoreValue(counts.get(primitive.id) ?? 0) });
      const written = flattenSets(primitive.meta)["migration-threshold"] ?? defaults["migration-threshold"] ?? "INFINITY";
      threshold.samples.push({ labels: { node: node.name, resource: primitive.id }, value: scoreValue(parseScore(written)) });
    }
  }
  const attributes: Family = { name: "ha_cluster_pacemaker_node_attributes", help: "Node attributes (value in the label); always 1", type: "gauge", samples: [] };
  for (const node of snapshot.configuredNodes) {
    const permanent = flattenSets(snapshot.cib.nodes.find((each) => each.uname === node.name)?.instance ?? []);
    const all = { ...permanent, ...(snapshot.nodeAttributes[node.name] ?? {}) };
    for (const name of Object.keys(all).sort()) attributes.samples.push({ labels: { node: node.name, name, value: all[name]! }, value: 1 });
  }
  const locations: Family = { name: "ha_cluster_pacemaker_location_constraints", help: "Resource location constraints; the value is the score", type: "gauge", samples: [] };
  for (const constraint of snapshot.cib.constraints) {
    if (constraint.kind !== "location" || constraint.node === undefined) continue;
    locations.samples.push({ labels: { constraint: constraint.id, node: constraint.node, resource: constraint.rsc, role: (constraint.role ?? "").toLowerCase() }, value: scoreValue(parseScore(constraint.score)) });
  }
  return [
    nodes,
    { name: "ha_cluster_pacemaker_nodes_total", help: "Total number of nodes in the cluster", type: "untyped", samples: [{ labels: {}, value: snapshot.configuredNodes.length }] },
    resources,
    { name: "ha_cluster_pacemaker_resources_total", help: "Total number of resources in the cluster", type: "untyped", samples: [{ labels: {}, value: primitives.length }] },
    failCount,
    threshold,
    attributes,
    locations,
    { name: "ha_cluster_pacemaker_stonith_enabled", help: "Whether or not stonith is enabled", type: "gauge", samples: [{ labels: {}, value: options.stonithEnabled ? 1 : 0 }] },
  ];
}

/** fail-count-RSC#OP_INTERVAL (and the older fail-count-RSC) summed per resource, as Pacemaker counts them. */
export function failCountsOf(attributes: Readonly<Record<string, string>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [name, value] of Object.entries(attributes)) {
    if (!name.startsWith("fail-count-")) continue;
    const resource = name.slice("fail-count-".length).split("#")[0]!;
    counts.set(resource, Math.min(SCORE_INFINITY, (counts.get(resource) ?? 0) + parseScore(value)));
  }
  return counts;
}

function corosyncFamilies(snapshot: MetricsSnapshot): Family[] {
  const local = snapshot.members.find((member) => member.id === snapshot.node.id);
  const rings: Family = { name: "ha_cluster_corosync_rings", help: "The status of each link to each peer; 1 up, 0 faulty", type: "gauge", samples: [] };
  let faulty = 0;
  const localLinks = snapshot.configuredNodes.find((node) => node.id === snapshot.node.id)?.links ?? [];
  for (const member of snapshot.members) {
    if (member.id === snapshot.node.id) continue;
    member.links.forEach((link, number) => {
      const up = link.state === "up";
      if (!up) faulty++;
      rings.samples.push({ labels: { ring_id: String(snapshot.ringId), node_id: String(snapshot.node.id), number: String(number), address: localLinks[number] ?? "", peer: member.name }, value: up ? 1 : 0 });
    });
  }
  const votes: Family = { name: "ha_cluster_corosync_member_votes", help: "Votes each member contributes to the current quorum", type: "gauge", samples: [] };
  for (const member of snapshot.members) votes.samples.push({ labels: { node_id: String(member.id), node: member.name, local: String(member.id === snapshot.node.id) }, value: 1 });
  void local;
  return [
    { name: "ha_cluster_corosync_quorate", help: "Whether or not the cluster is quorate", type: "gauge", samples: [{ labels: {}, value: snapshot.quorum.quorate ? 1 : 0 }] },
    {
      name: "ha_cluster_corosync_quorum_votes", help: "Cluster quorum votes; one line per type", type: "gauge", samples: [
        { labels: { type: "expected_votes" }, value: snapshot.quorum.expected },
        { labels: { type: "highest_expected" }, value: snapshot.quorum.expected },
        { labels: { type: "total_votes" }, value: snapshot.quorum.votes },
        { labels: { type: "quorum" }, value: snapshot.quorum.quorum },
      ],
    },
    { name: "ha_cluster_corosync_ring_errors", help: "The number of faulty links to members", type: "gauge", samples: [{ labels: {}, value: faulty }] },
    rings,
    votes,
  ];
}

const SENT_KINDS = ["heartbeat", "fragment", "ack"];
const DROP_REASONS = ["short", "version", "cluster", "unknown-sender", "kind", "auth", "replay", "self", "malformed-heartbeat"];

function histogramFamily(name: string, help: string, histogram: Histogram): Family {
  const samples: Family["samples"] = histogram.cumulative().map((bucket) => ({ suffix: "_bucket", labels: { le: String(bucket.le) }, value: bucket.count }));
  samples.push({ suffix: "_bucket", labels: { le: "+Inf" }, value: histogram.count }, { suffix: "_sum", labels: {}, value: histogram.sum }, { suffix: "_count", labels: {}, value: histogram.count });
  return { name, help, type: "histogram", samples };
}

function edgehaFamilies(snapshot: MetricsSnapshot): Family[] {
  const counters = snapshot.counters;
  const frames = snapshot.frames;
  return [
    { name: "edgeha_info", help: "This agent: version, cluster and node (always 1)", type: "gauge", samples: [{ labels: { version: snapshot.version, cluster: snapshot.cluster, node: snapshot.node.name }, value: 1 }] },
    { name: "edgeha_start_time_seconds", help: "When this agent started, in seconds since the epoch", type: "gauge", samples: [{ labels: {}, value: counters.startedAtSeconds }] },
    { name: "edgeha_is_dc", help: "Whether this node is the designated controller", type: "gauge", samples: [{ labels: {}, value: snapshot.dc === snapshot.node.name ? 1 : 0 }] },
    { name: "edgeha_dc_known", help: "Whether this node knows a designated controller (0 while none is elected)", type: "gauge", samples: [{ labels: {}, value: snapshot.dc === null ? 0 : 1 }] },
    { name: "edgeha_membership_ring_id", help: "The ring id of the current membership view", type: "gauge", samples: [{ labels: {}, value: snapshot.ringId }] },
    { name: "edgeha_membership_members", help: "Members of the current view", type: "gauge", samples: [{ labels: {}, value: snapshot.members.length }] },
    { name: "edgeha_view_changes_total", help: "Membership views installed since the agent started", type: "counter", samples: [{ labels: {}, value: counters.viewChanges }] },
    { name: "edgeha_frames_received_total", help: "Frames received and accepted", type: "counter", samples: [{ labels: {}, value: frames.accepted ?? 0 }] },
    { name: "edgeha_frames_dropped_total", help: "Frames received and dropped, by reason", type: "counter", samples: DROP_REASONS.map((reason) => ({ labels: { reason }, value: frames[reason] ?? 0 })) },
    { name: "edgeha_frames_sent_total", help: "Frames sent on all links, by kind", type: "counter", samples: SENT_KINDS.map((kind) => ({ labels: { kind }, value: frames[`sent-${kind}`] ?? 0 })) },
    { name: "edgeha_frame_send_errors_total", help: "Frames the kernel refused to send", type: "counter", samples: [{ labels: {}, value: frames["send-errors"] ?? 0 }] },
    { name: "edgeha_heartbeat_round_trip_seconds", help: "Last heartbeat round trip to each peer, per link", type: "gauge", samples: counters.roundTripSeconds.map((each) => ({ labels: { peer: each.peer, link: String(each.link) }, value: each.seconds })) },
    { name: "edgeha_transitions_total", help: "Transitions this node ran as DC, by result", type: "counter", samples: [{ labels: { result: "completed" }, value: counters.transitions.completed }, { labels: { result: "failed" }, value: counters.transitions.failed }] },
    histogramFamily("edgeha_transition_duration_seconds", "Time from a transition's plan to its last step", counters.transitions.duration),
    { name: "edgeha_fence_operations_total", help: "Fence operations this node ran, by result", type: "counter", samples: [{ labels: { result: "succeeded" }, value: counters.fences.succeeded }, { labels: { result: "failed" }, value: counters.fences.failed }] },
    histogramFamily("edgeha_fence_duration_seconds", "Time a fence operation took, from request to confirmation", counters.fences.duration),
    { name: "edgeha_last_failover_timestamp_seconds", help: "When the last failover seen here happened (0: none yet)", type: "gauge", samples: [{ labels: {}, value: counters.lastFailover?.atSeconds ?? 0 }] },
    { name: "edgeha_last_failover_duration_seconds", help: "How long the last failover took, from the loss of a node to the last start", type: "gauge", samples: [{ labels: {}, value: counters.lastFailover?.durationSeconds ?? 0 }] },
    histogramFamily("edgeha_event_loop_delay_seconds", "How late the agent's timers fired (the event loop's delay)", counters.eventLoopDelay),
    { name: "edgeha_event_loop_pauses_total", help: "Event loop pauses longer than a heartbeat interval", type: "counter", samples: [{ labels: {}, value: counters.eventLoopPauses }] },
    { name: "edgeha_alerts_total", help: "Alert agent runs, by result", type: "counter", samples: [{ labels: { result: "sent" }, value: counters.alerts.sent }, { labels: { result: "failed" }, value: counters.alerts.failed }, { labels: { result: "dropped" }, value: counters.alerts.dropped }] },
  ];
}
