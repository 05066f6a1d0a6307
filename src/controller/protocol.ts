// What controllers say to each other over the reliable channel (JSON, one message per
// reliable message). Every message names the ring it belongs to where a stale one could
// do harm; the receiver drops messages from an older ring or from a node that is not its DC.
import type { OperationRecord } from "../cib";
import type { Relocation } from "./relocate";

/** One resource as a node's executor knows it: the last result of each operation. */
export interface ReportedResource {
  class: string;
  provider?: string;
  type: string;
  operations: OperationRecord[];
}

/** A node's own view of its resources, sent to the DC on join and on every change. */
export interface NodeReport {
  node: string;
  /** Every configured resource has been probed on this node since the config it last stored. */
  probed: boolean;
  /** The configuration version the probe covered. */
  cibVersion: string;
  /** Operations asked by a DC are still running here: wait for their results before planning. */
  busy: boolean;
  resources: Record<string, ReportedResource>;
  /** Transient attributes: fail-count-*, last-failure-*, node facts. */
  attributes: Record<string, string>;
  /** The node asked to leave the cluster (graceful stop). */
  shutdown: boolean;
  /** The last failure of each operation, kept for display until cleaned up. */
  failures?: Array<{ resource: string; operation: string; intervalMs: number; rc: number; reason?: string; atSeconds?: number }>;
}

/** A short, human-readable summary of the cluster that the DC sends every member. */
export interface ClusterSummary {
  dc: string;
  ringId: number;
  cibVersion: string;
  quorate: boolean;
  nodes: Array<{ name: string; state: "online" | "offline" | "standby" | "unclean" | "maintenance" | "shutting-down" | "pending" }>;
  resources: Array<{ id: string; agent: string; group?: string; role: "Started" | "Stopped" | "FAILED" | "Starting" | "Stopping" | "Blocked"; nodes: string[]; managed: boolean; targetRole?: string }>;
  failedActions: Array<{ resource: string; node: string; operation: string; intervalMs: number; rc: number; reason?: string; atSeconds?: number }>;
  fencing: Array<{ target: string; action: string; state: "pending" | "done" | "failed"; by?: string; atSeconds?: number; reason?: string }>;
  transition: { id: number; running: number; pending: number } | null;
  /** Nodes that asked to leave and hold nothing any more: they may exit, and are not fenced when they go. */
  leaving: string[];
}

export type ControllerMessage =
  /** `since`: the ring at which the sender became DC; the older DC keeps the role when two meet. */
  | { t: "join"; ringId: number; since: number }
  | { t: "join-ack"; ringId: number; cib: unknown; report: NodeReport }
  | { t: "cib"; ringId: number; writeId: number; cib: unknown }
  | { t: "cib-ack"; ringId: number; writeId: number }
  | { t: "report"; ringId: number; report: NodeReport }
  | { t: "op"; ringId: number; transition: number; step: number; resource: string; operation: "start" | "stop" | "promote" | "demote" | "notify"; notify?: Record<string, string> }
  | { t: "op-result"; ringId: number; transition: number; step: number; ok: boolean; reason?: string; report: NodeReport }
  | { t: "cleanup"; ringId: number; resource?: string }
  | { t: "request"; requestId: number; request: ClientRequest }
  | { t: "reply"; requestId: number; reply: ClientReply }
  | { t: "summary"; ringId: number; summary: ClusterSummary };

/** A change a client (the CLI) asks of the cluster; members forward it to the DC. */
export type ClientRequest =
  | { kind: "cib-replace"; base: string; cib: unknown }
  | { kind: "cleanup"; resource?: string; node?: string }
  /** Where resources would go if stickiness did not hold them (resource relocate); changes nothing. */
  | { kind: "placement"; resources?: string[] };

export type ClientReply = { ok: true; version?: string; message?: string; relocations?: Relocation[] } | { ok: false; code: string; error: string };
