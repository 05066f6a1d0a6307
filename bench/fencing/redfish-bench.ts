// Time to a confirmed off via edgeha's built-in Redfish driver against the Redfish test BMC
// (test/support/redfish-bmc.ts, HTTPS on 127.0.0.1 with its own certificate, trusted with
// ssl_ca_file): the driver discovers the system (service root, Systems, the system), posts
// ComputerSystem.Reset ForceOff and polls PowerState until Off. Two BMCs: one that applies
// the change at once (the driver's own cost) and one that takes 300 ms like a slow BMC (so
// the poll interval shows). fence_redfish beside it for scale (ssl_insecure, which it needs
// for a self-signed certificate). Power is set back on between runs (not timed).
// Run with bench/fencing/redfish-run.sh.
import { spawn } from "node:child_process";
import { redfishDriver } from "../../fence-drivers/redfish/index";
import { RedfishBmc } from "../../test/support/redfish-bmc";

const runs = Number(process.argv[2] ?? "20");

function stats(name: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`${name.padEnd(60)} median ${median.toFixed(1)} ms  min ${sorted[0]!.toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms  (n=${sorted.length})`);
}

function fenceRedfish(port: number, bmc: RedfishBmc): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("fence_redfish", [], { stdio: ["pipe", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => { clearTimeout(timer); resolve(code ?? 1); });
    child.stdin.end(`ip=127.0.0.1\nipport=${port}\nusername=${bmc.user}\npassword=${bmc.password}\nssl_insecure=1\naction=off\n`);
  });
}

async function main(): Promise<void> {
  for (const [label, delayMs, port] of [["at once", 0, 33990], ["after 300 ms", 300, 33991]] as const) {
    const bmc = new RedfishBmc({ port, user: "bench", powerDelayMs: delayMs });
    await bmc.start();
    try {
      const options = { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, ssl_ca_file: bmc.certificateFile };
      const ours: number[] = [];
      const sessions: number[] = [];
      const reference: number[] = [];
      for (let run = 0; run < runs; run++) {
        for (const [auth, list] of [["basic", ours], ["session", sessions]] as const) {
          bmc.setPower("On");
          const start = process.hrtime.bigint();
          const off = await redfishDriver.run("off", { ...options, auth }, { signal: AbortSignal.timeout(30_000), debug: () => {} });
          list.push(Number(process.hrtime.bigint() - start) / 1e6);
          if (off.exitCode !== 0 || bmc.powerState() !== "Off") throw new Error(`redfish off failed: ${off.message}`);
        }
        bmc.setPower("On");
        const start = process.hrtime.bigint();
        const code = await fenceRedfish(port, bmc);
        reference.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (code !== 0 || bmc.powerState() !== "Off") throw new Error(`fence_redfish off exited ${code}`);
      }
      stats(`edgeha redfish, basic auth, BMC changes ${label}`, ours);
      stats(`edgeha redfish, session auth, BMC changes ${label}`, sessions);
      stats(`fence_redfish, BMC changes ${label}`, reference);
    } finally {
      await bmc.stop();
    }
  }
}

main().catch((error: unknown) => { console.error(error); process.exit(1); });
