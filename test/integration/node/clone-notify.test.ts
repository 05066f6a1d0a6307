// Clone notifications on two real agents on loopback: a clone of the test State agent with
// notify=true. Its notify action writes one line per notification to the node's notify log,
// so the test sees which node was told what (pre/post, start/stop, who starts, who stops,
// who is active). Stonith is off; every wait is bounded.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { bundleArgs, repositoryRoot } from "../../support/environment";
import { runInProcess } from "../../support/cli";
import { requestApi } from "../../../src/api";

const directory = mkdtempSync(join(tmpdir(), "ehn-"));
const port = 34500 + (process.pid % 150);
const octet = 10 + (process.pid % 200);
const stateFiles = join(directory, "state");
const agents = new Map<string, ChildProcess>();
const socket = (name: string): string => join(directory, `${name}.sock`);

afterAll(() => {
  for (const agent of agents.values()) agent.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

interface Status { cluster_state: { resources: Array<{ id: string; role: string; nodes: string[] }> } | null }

async function nodesOf(resource: string): Promise<string[]> {
  try {
    const status = (await requestApi(socket("n1"), { command: "status" }, 2000)) as Status;
    const found = status.cluster_state?.resources.find((item) => item.id === resource);
    return found?.role === "Started" ? [...found.nodes].sort() : [];
  } catch {
    return [];
  }
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const notifications = (node: string): string[] => {
  const file = join(stateFiles, `notify@${node}`);
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : [];
};
/** "n2 n1" and "n1 n2" are the same set of nodes. */
const sorted = (line: string): string => line.replace(/\[([^\]]*)\]/g, (_, names: string) => `[${names.split(" ").filter(Boolean).sort().join(" ")}]`);

describe("clone notifications (notify=true) on two agents", () => {
  it("tells every active instance before and after instances start and stop, with who starts, stops and is active", async () => {
    writeFileSync(join(directory, "authkey"), randomBytes(64), { mode: 0o600 });
    writeFileSync(join(directory, "edgeha.yaml"), `cluster_name: ehnotify\ntransport: { port: ${port} }\npaths: { authkey: ${join(directory, "authkey")} }\nnodes:\n  - { name: n1, id: 1, links: [127.${octet}.9.1] }\n  - { name: n2, id: 2, links: [127.${octet}.9.2] }\n`);
    writeFileSync(join(directory, "cib.xml"), `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes/>
  <resources><clone id="cache-clone"><meta_attributes id="cm"><nvpair id="cm1" name="notify" value="true"/></meta_attributes>
    <primitive id="cache" class="ocf" provider="edgeha-test" type="State"><instance_attributes id="ci"><nvpair id="ci1" name="dir" value="${stateFiles}"/></instance_attributes>
      <operations><op id="cache-mon" name="monitor" interval="2s" timeout="10s"/></operations></primitive></clone></resources>
  <constraints/></configuration><status/></cib>`);
    for (const name of ["n1", "n2"]) {
      const args = [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", socket(name), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.xml")];
      agents.set(name, spawn(process.execPath, args, { stdio: "ignore", env: { ...process.env, OCF_ROOT: join(repositoryRoot, "test", "fixtures", "ocf") } }));
    }
    await waitFor("cache started on both nodes", async () => (await nodesOf("cache")).join() === "n1,n2");
    await waitFor("post-start notifications on both nodes", async () => notifications("n1").length > 0 && notifications("n2").length > 0);
    // Nothing ran before, so no pre-start notification; after, both instances hear that both started.
    for (const node of ["n1", "n2"]) expect(notifications(node).map(sorted)).toEqual(["post-start start=[n1 n2] stop=[] active=[n1 n2] clone_max=2"]);

    // Keep the clone off n2: both instances hear of the stop before it; only n1's after it.
    expect((await runInProcess(["resource", "ban", "cache-clone", "n2", "--socket", socket("n1")])).status).toBe(0);
    await waitFor("cache only on n1", async () => (await nodesOf("cache")).join() === "n1");
    await waitFor("post-stop notification on n1", async () => notifications("n1").length === 3);
    expect(notifications("n1").slice(1).map(sorted)).toEqual(["pre-stop start=[] stop=[n2] active=[n1 n2] clone_max=2", "post-stop start=[] stop=[n2] active=[n1] clone_max=2"]);
    expect(notifications("n2").slice(1).map(sorted)).toEqual(["pre-stop start=[] stop=[n2] active=[n1 n2] clone_max=2"]);
  }, 90_000);
});
