// Real agents on loopback for the fencing tests (test/integration/node/cluster-fencing-*.test.ts):
// each agent runs the bundle with the directory's edgeha.yaml and cib.xml, logs to NAME.log
// there, and uses the State test agent (test/fixtures/ocf), which marks a running resource by a
// file ID@NODE in stateFiles. Fence devices are fence_ipmilan against a test BMC.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { bundleArgs, repositoryRoot } from "./environment";
import type { SimBmc } from "./ipmi/sim";

const ocfRoot = join(repositoryRoot, "test", "fixtures", "ocf");

export class LoopbackAgents {
  readonly agents = new Map<string, ChildProcess>();
  readonly stateFiles: string;

  constructor(readonly directory: string, private readonly waitMs: number) {
    this.stateFiles = join(directory, "state");
  }

  start(name: string): void {
    const directory = this.directory;
    const log = createWriteStream(join(directory, `${name}.log`), { flags: "a" });
    const agent = spawn(process.execPath, [...bundleArgs, "agent", "--config", join(directory, "edgeha.yaml"), "--node", name, "--socket", join(directory, `${name}.sock`), "--state-dir", join(directory, name), "--initial-cib", join(directory, "cib.xml")], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OCF_ROOT: ocfRoot } });
    agent.stdout!.pipe(log);
    agent.stderr!.pipe(log);
    this.agents.set(name, agent);
  }

  killAll(): void {
    for (const agent of this.agents.values()) agent.kill("SIGKILL");
  }

  /** The State resources running now, as ID@NODE. */
  running(): string[] {
    return existsSync(this.stateFiles) ? readdirSync(this.stateFiles).sort() : [];
  }

  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = this.waitMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; files: ${this.running().join(" ")}`);
  }

  /** A State resource with a 1 s monitor. */
  primitiveXml(id: string): string {
    return `<primitive id="${id}" class="ocf" provider="edgeha-test" type="State">
          <instance_attributes id="${id}-i"><nvpair id="${id}-d" name="dir" value="${this.stateFiles}"/></instance_attributes>
          <operations><op id="${id}-m" name="monitor" interval="1s" timeout="5s"/></operations>
        </primitive>`;
  }
}

/** A fence_ipmilan device ID for NODE through a test BMC on 127.0.0.1 (lanplus). */
export function fenceXml(id: string, node: string, bmc: SimBmc): string {
  return `<primitive id="${id}" class="stonith" type="fence_ipmilan">
        <instance_attributes id="${id}-i">
          <nvpair id="${id}-1" name="ip" value="127.0.0.1"/><nvpair id="${id}-2" name="ipport" value="${bmc.port}"/>
          <nvpair id="${id}-3" name="username" value="${bmc.user}"/><nvpair id="${id}-4" name="password" value="${bmc.password}"/>
          <nvpair id="${id}-5" name="lanplus" value="1"/><nvpair id="${id}-6" name="pcmk_host_list" value="${node}"/>
        </instance_attributes>
      </primitive>`;
}
