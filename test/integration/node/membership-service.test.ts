// Two membership services in one process on loopback addresses: they form a view, then a
// several-megabyte message crosses the reliable channel whole and in order, together with
// small ones sent after it.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes, createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseConfig } from "../../../src/config";
import { createLogger } from "../../../src/common/log";
import { MembershipService } from "../../../src/node/membership-service";

const port = 34000 + (process.pid % 400);
const octet = 10 + (process.pid % 200);
const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
const services: MembershipService[] = [];
// Each service's membership file goes to a directory of the test's own (without one it went to
// the default /var/lib/edgeha of the machine running the tests, shared by both nodes).
const stateRoot = mkdtempSync(join(tmpdir(), "edgeha-membership-service-"));

afterAll(async () => {
  await Promise.all(services.map((service) => service.close()));
  rmSync(stateRoot, { recursive: true, force: true });
});

async function waitFor(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("membership service", () => {
  it("carries a 4 MB message and small ones after it, in order, between two nodes", async () => {
    const config = parseConfig(`cluster_name: ehsvc\ntransport: { port: ${port} }\nnodes:\n  - { name: a, id: 1, links: [127.${octet}.3.1] }\n  - { name: b, id: 2, links: [127.${octet}.3.2] }\n`, "test.yaml");
    const authkey = randomBytes(64);
    for (const node of config.nodes) services.push(await MembershipService.start({ config, node, authkey, logger: quiet, stateDir: join(stateRoot, node.name) }));
    const [a, b] = services as [MembershipService, MembershipService];
    await waitFor("a view of two", () => a.view().members.length === 2 && b.view().members.length === 2 && a.view().ringId === b.view().ringId);

    const received: Buffer[] = [];
    b.listen({ message: (from, payload) => { expect(from).toBe(1); received.push(payload); } });
    const big = randomBytes(4 * 1024 * 1024);
    a.send(2, big);
    a.send(2, Buffer.from("after-1"));
    a.send(2, Buffer.from("after-2"));
    await waitFor("three messages", () => received.length === 3, 30_000);
    expect(createHash("sha256").update(received[0]!).digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
    expect(received.slice(1).map(String)).toEqual(["after-1", "after-2"]);
  }, 40_000);
});
