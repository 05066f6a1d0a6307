// Time to a confirmed off via IPMI against OpenIPMI's ipmi_sim: edgeha's own
// ipmilan driver (RMCP+ cipher suite 3; off, which polls until the chassis reads
// off) beside fence-agents' fence_ipmilan (action=off, which also confirms),
// same ipmi_sim, one run. Power is set back on between runs (not timed).
// Run with bench/fencing/ipmi-run.sh. Prints figures.
import { spawnSync } from "node:child_process";
import { startSimBmc } from "../../test/support/ipmi/sim";
import { ipmilanDriver } from "../../fence-drivers/ipmilan/index";

const runs = Number(process.argv[2] ?? "20");
const port = Number(process.argv[3] ?? "32901");

function stats(name: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`${name.padEnd(40)} median ${median.toFixed(1)} ms  min ${sorted[0]!.toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms  (n=${sorted.length})`);
}

async function main(): Promise<void> {
  const bmc = await startSimBmc(port, "on");
  try {
    const options = { ip: "127.0.0.1", ipport: String(port), username: bmc.user, password: bmc.password, lanplus: "1", cipher: "3" };
    const context = () => ({ signal: AbortSignal.timeout(20_000), debug: () => {} });
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < runs; run++) {
      await ipmilanDriver.run("on", options, context());
      let start = process.hrtime.bigint();
      const off = await ipmilanDriver.run("off", options, context());
      ours.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (off.exitCode !== 0 || bmc.power() !== "off") throw new Error(`ipmilan off failed: ${off.message}`);
      await ipmilanDriver.run("on", options, context());
      const input = `action=off\nip=127.0.0.1\nipport=${port}\nusername=${bmc.user}\npassword=${bmc.password}\nlanplus=1\ncipher=3\n`;
      start = process.hrtime.bigint();
      const agent = spawnSync("fence_ipmilan", [], { input, encoding: "utf8", timeout: 30_000 });
      theirs.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (agent.status !== 0 || bmc.power() !== "off") throw new Error(`fence_ipmilan off failed (exit ${agent.status})`);
    }
    stats("edgeha ipmilan (in process), off confirmed", ours);
    stats("fence_ipmilan (fence-agents), off confirmed", theirs);
  } finally {
    bmc.stop();
  }
}

main().catch((error) => { console.error(error instanceof Error ? error.message : error); process.exit(1); });
