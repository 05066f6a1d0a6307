import { describe, expect, it } from "vitest";
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";
import { Histogram } from "../../../src/common/histogram";
import { DURATION_BOUNDS_SECONDS, EVENT_LOOP_BOUNDS_SECONDS, renderMetrics, type MetricsSnapshot } from "../../../src/api";
import { startMetricsServer } from "../../../src/api";
import { spawnSync } from "node:child_process";
import { hasCommand } from "../../support/environment";

function primitive(id: string, meta: Record<string, string> = {}): Primitive {
  return { kind: "primitive", id, class: "builtin", type: "dummy", extra: {}, instance: [], meta: [{ id: `${id}-meta`, values: meta }], operations: [] };
}

function cib(): Cib {
  return {
    ...emptyCib(),
    properties: [{ id: "cib-bootstrap-options", values: { "stonith-enabled": "true" } }],
    resources: [{ kind: "group", id: "edge", extra: {}, instance: [], meta: [], members: [primitive("vip", { "migration-threshold": "3" }), primitive("proxy")] }],
    constraints: [{ kind: "location", id: "prefer-alpha", rsc: "edge", node: "alpha", score: "100", rules: [], extra: {} }],
  };
}

function snapshot(overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    version: "0.1.0", cluster: "pair", node: { name: "alpha", id: 1 },
    configuredNodes: [{ name: "alpha", id: 1, links: ["10.0.0.1"] }, { name: "beta", id: 2, links: ["10.0.0.2"] }],
    ringId: 7,
    members: [{ name: "alpha", id: 1, links: [{ address: "10.0.0.1", state: "local" }] }, { name: "beta", id: 2, links: [{ address: "10.0.0.2", state: "up" }] }],
    quorum: { quorate: true, votes: 2, expected: 2, quorum: 1 },
    dc: "alpha",
    summary: {
      quorate: true,
      nodes: [{ name: "alpha", state: "online" }, { name: "beta", state: "standby" }],
      resources: [{ id: "vip", agent: "builtin:ipaddr", group: "edge", role: "Started", nodes: ["alpha"], managed: true }, { id: "proxy", agent: "builtin:haproxy", group: "edge", role: "FAILED", nodes: ["alpha"], managed: true }],
      fencing: [],
    },
    cib: cib(),
    nodeAttributes: { alpha: { "fail-count-proxy#monitor_1000": "2", "fail-count-proxy#start_0": "INFINITY", "cpu-count": "2" }, beta: {} },
    frames: { accepted: 100, auth: 3, replay: 1, "sent-heartbeat": 50, "send-errors": 0 },
    counters: {
      viewChanges: 2, roundTripSeconds: [{ peer: "beta", link: 0, seconds: 0.0004 }],
      transitions: { completed: 3, failed: 1, duration: new Histogram(DURATION_BOUNDS_SECONDS) },
      fences: { succeeded: 1, failed: 0, duration: new Histogram(DURATION_BOUNDS_SECONDS) },
      lastFailover: { atSeconds: 1_700_000_000, durationSeconds: 0.8 },
      eventLoopDelay: new Histogram(EVENT_LOOP_BOUNDS_SECONDS), eventLoopPauses: 0, alerts: { sent: 0, failed: 0, dropped: 0 }, startedAtSeconds: 1_699_999_000,
    },
    ...overrides,
  };
}

function sample(text: string, name: string, labels: Record<string, string> = {}): string | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return line.slice(line.lastIndexOf(" ") + 1);
  }
  return undefined;
}

describe("metrics", () => {
  it("names nodes, resources, fail counts and thresholds as ha_cluster_exporter does", () => {
    const text = renderMetrics(snapshot());
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "alpha", type: "member", status: "online" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "alpha", status: "dc" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "beta", status: "standby" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "beta", status: "dc" })).toBeUndefined();
    expect(sample(text, "ha_cluster_pacemaker_resources", { resource: "vip", node: "alpha", role: "started", status: "active", group: "edge", managed: "true" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_resources", { resource: "proxy", status: "failed" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_fail_count", { node: "alpha", resource: "proxy" })).toBe("+Inf");
    expect(sample(text, "ha_cluster_pacemaker_fail_count", { node: "beta", resource: "proxy" })).toBe("0");
    expect(sample(text, "ha_cluster_pacemaker_migration_threshold", { node: "alpha", resource: "vip" })).toBe("3");
    expect(sample(text, "ha_cluster_pacemaker_migration_threshold", { node: "alpha", resource: "proxy" })).toBe("+Inf");
    expect(sample(text, "ha_cluster_pacemaker_stonith_enabled")).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_location_constraints", { constraint: "prefer-alpha", node: "alpha", resource: "edge" })).toBe("100");
    expect(sample(text, "ha_cluster_corosync_quorate")).toBe("1");
    expect(sample(text, "ha_cluster_corosync_quorum_votes", { type: "total_votes" })).toBe("2");
    expect(sample(text, "ha_cluster_corosync_ring_errors")).toBe("0");
    expect(sample(text, "ha_cluster_corosync_member_votes", { node: "beta", local: "false" })).toBe("1");
  });

  it("adds edgeha's own: drops by reason, round trips, failovers", () => {
    const text = renderMetrics(snapshot());
    expect(sample(text, "edgeha_frames_dropped_total", { reason: "auth" })).toBe("3");
    expect(sample(text, "edgeha_frames_dropped_total", { reason: "replay" })).toBe("1");
    expect(sample(text, "edgeha_heartbeat_round_trip_seconds", { peer: "beta", link: "0" })).toBe("0.0004");
    expect(sample(text, "edgeha_last_failover_duration_seconds")).toBe("0.8");
    expect(sample(text, "edgeha_transitions_total", { result: "failed" })).toBe("1");
    expect(sample(text, "edgeha_view_changes_total")).toBe("2");
  });

  it.skipIf(!hasCommand("promtool"))("passes promtool check metrics, healthy and degraded (no quorum, no DC)", () => { // skipped: without promtool (package prometheus) there is nothing to check with
    const degraded = snapshot({ dc: null, summary: null, quorum: { quorate: false, votes: 1, expected: 2, quorum: 2 }, members: [{ name: "alpha", id: 1, links: [{ address: "10.0.0.1", state: "local" }] }] });
    for (const text of [renderMetrics(snapshot()), renderMetrics(degraded)]) {
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    }
  });

  it("counts a faulty link as a ring error", () => {
    const text = renderMetrics(snapshot({ members: [{ name: "alpha", id: 1, links: [{ address: "10.0.0.1", state: "local" }] }, { name: "beta", id: 2, links: [{ address: "10.0.0.2", state: "faulty" }] }] }));
    expect(sample(text, "ha_cluster_corosync_ring_errors")).toBe("1");
    expect(sample(text, "ha_cluster_corosync_rings", { peer: "beta", number: "0" })).toBe("0");
  });

  it("answers without quorum or DC", () => {
    const text = renderMetrics(snapshot({ dc: null, summary: null, quorum: { quorate: false, votes: 1, expected: 2, quorum: 2 }, members: [{ name: "alpha", id: 1, links: [{ address: "10.0.0.1", state: "local" }] }] }));
    expect(sample(text, "ha_cluster_corosync_quorate")).toBe("0");
    expect(sample(text, "edgeha_dc_known")).toBe("0");
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "alpha", status: "online" })).toBe("1");
    expect(sample(text, "ha_cluster_pacemaker_nodes", { node: "beta" })).toBeUndefined();
  });

  it("escapes label values and keeps every family's HELP, TYPE and samples together", () => {
    const text = renderMetrics(snapshot({ nodeAttributes: { alpha: { note: 'say "hi"\\ \nnow' } } }));
    expect(text).toContain('value="say \\"hi\\"\\\\ \\nnow"');
    const seen = new Set<string>();
    let current = "";
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("# HELP ")) {
        current = line.split(" ")[2]!;
        expect(seen.has(current)).toBe(false);
        seen.add(current);
        continue;
      }
      if (line.startsWith("# TYPE ")) continue;
      expect(line.startsWith(current)).toBe(true);
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (\S+)$/);
    }
  });

  it("serves /metrics and / over HTTP and refuses other methods", async () => {
    const server = await startMetricsServer({ host: "127.0.0.1", port: 0 }, { metrics: () => renderMetrics(snapshot()), page: () => "<html>page</html>" });
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("version=0.0.4");
      expect(await metrics.text()).toContain("ha_cluster_corosync_quorate 1");
      const page = await fetch(`${base}/`);
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(await page.text()).toBe("<html>page</html>");
      expect((await fetch(`${base}/metrics`, { method: "POST", body: "x" })).status).toBe(405);
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
