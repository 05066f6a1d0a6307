// `edgeha agent` as a service (src/node/service.ts): SIGTERM and SIGINT start one clean leave
// (a second is logged and ignored, one during start-up waits for the agent), READY=1 comes once
// the node has joined or knows it is alone, and the watchdog is fed only while heartbeats go out.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Writable } from "node:stream";
import { AgentService, serviceState } from "../../../src/node/service";
import type { AgentStatus } from "../../../src/node/agent";
import { createLogger } from "../../../src/common/log";

function status(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    cluster: "pair", node: { name: "node1", id: 1 }, ringId: 4,
    members: [{ name: "node1", id: 1, links: [] }, { name: "node2", id: 2, links: [] }],
    quorum: { quorate: true } as AgentStatus["quorum"], arbiter: { configured: false, state: "none" }, frames: { "sent-heartbeat": 10 },
    dc: "node2", cibVersion: "0.1.1",
    cluster_state: {
      dc: "node2", ringId: 4, cibVersion: "0.1.1", quorate: true, transition: null, leaving: [], failedActions: [], fencing: [],
      nodes: [{ name: "node1", state: "online" }, { name: "node2", state: "online" }],
      resources: [{ id: "vip", agent: "builtin:ipaddr", role: "Started", nodes: ["node2"], managed: true }, { id: "proxy", agent: "builtin:haproxy", role: "Started", nodes: ["node2"], managed: true }, { id: "cache", agent: "builtin:memcached", role: "Stopped", nodes: [], managed: true }],
    },
    agent: { pid: 1, rss: 0, heapUsed: 0, heapTotal: 0, external: 0 },
    ...overrides,
  } as AgentStatus;
}

function logged() {
  const lines: Array<{ msg: string; level: number }> = [];
  const destination = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { lines, logger: createLogger({ destination }) };
}

const services: AgentService[] = [];
afterEach(() => { for (const service of services.splice(0)) service.close(); vi.useRealTimers(); });

describe("the service's state", () => {
  it("is ready once joined under a DC, and says who is DC, how many are online and what runs", () => {
    expect(serviceState(status(), 2, false)).toEqual({ ready: true, line: "DC node2, 2/2 online, 2 started" });
  });

  it("is not ready while a view with peers has no DC yet", () => {
    expect(serviceState(status({ dc: null, cluster_state: null }), 2, false).ready).toBe(false);
  });

  it("is ready alone: a node that knows it is alone (wait_for_all still waiting) does not hold up its start", () => {
    const alone = status({ dc: null, cluster_state: null, members: [{ name: "node1", id: 1, links: [] }], quorum: { quorate: false } as AgentStatus["quorum"] });
    expect(serviceState(alone, 2, false)).toEqual({ ready: true, line: "no DC, 1/2 online, 0 started, no quorum" });
  });

  it("is not ready before the first view", () => {
    expect(serviceState(status({ ringId: 0, members: [], dc: null, cluster_state: null }), 2, false).ready).toBe(false);
  });
});

describe("signals", () => {
  it("SIGTERM starts one leave; a second is logged and changes nothing", () => {
    const { lines, logger } = logged();
    const service = new AgentService(logger, 2, 300, {});
    services.push(service);
    const leave = vi.fn(() => true);
    service.attach({ status: () => status(), leave });
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    expect(leave).toHaveBeenCalledTimes(1);
    expect(leave).toHaveBeenCalledWith("SIGTERM received");
    expect(lines.filter((line) => /already leaving/.test(line.msg))).toHaveLength(2);
  });

  it("a SIGTERM while the agent still starts leaves as soon as it runs", () => {
    const { logger } = logged();
    const service = new AgentService(logger, 2, 300, {});
    services.push(service);
    process.emit("SIGTERM", "SIGTERM");
    const leave = vi.fn(() => true);
    service.attach({ status: () => status(), leave });
    expect(leave).toHaveBeenCalledTimes(1);
  });

  it("without a signal nothing leaves", () => {
    const { logger } = logged();
    const service = new AgentService(logger, 2, 300, {});
    services.push(service);
    const leave = vi.fn(() => true);
    service.attach({ status: () => status(), leave });
    expect(leave).not.toHaveBeenCalled();
  });
});

describe("the watchdog's health check", () => {
  function watched(nodes: number, sent: () => number, now: () => number) {
    const { logger } = logged();
    const pings: string[] = [];
    const service = new AgentService(logger, nodes, 300, {}, now);
    services.push(service);
    // The notifier is made from NOTIFY_SOCKET; here the check is called the way the watchdog calls it.
    service.attach({ status: () => status({ frames: { "sent-heartbeat": sent() } }), leave: () => true });
    return { check: () => (service as unknown as { problem(): string | undefined }).problem(), pings };
  }

  it("reports a stall when no heartbeat went out for three intervals", () => {
    let nowMs = 0;
    let sent = 10;
    const { check } = watched(2, () => sent, () => nowMs);
    expect(check()).toBeUndefined();
    nowMs += 600; sent += 2;
    expect(check()).toBeUndefined();
    nowMs += 1000;
    expect(check()).toMatch(/no heartbeat went out for 1000 ms/);
    sent += 1;
    expect(check()).toBeUndefined();
  });

  it("in a one-node cluster (nobody to send heartbeats to) only the event loop counts", () => {
    let nowMs = 0;
    const { check } = watched(1, () => 0, () => nowMs);
    nowMs += 60_000;
    expect(check()).toBeUndefined();
  });
});

