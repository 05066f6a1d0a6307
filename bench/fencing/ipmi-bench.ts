// Time to a confirmed off via IPMI over LAN: edgeha's own ipmilan driver (in process;
// off reads the state, sends Chassis Control off and polls until the chassis reads off)
// beside fence-agents' fence_ipmilan (action=off, which also confirms), against the same
// BMC in one run:
//   - OpenIPMI's ipmi_sim with RMCP+ cipher suite 3,
//   - the same ipmi_sim with an IPMI 1.5 session (lanplus=0, MD5),
//   - the test BMC of test/support/rmcp-bmc.ts with cipher suite 17 (ipmi_sim has no SHA-256),
//   - the same test BMC whose chassis status follows a command LAG_MS later (30 by default), as
//     a real BMC's does (ipmi_sim's follows at once): what the drivers' status polling costs.
// Power is set back on between runs (not timed). Run with bench/fencing/ipmi-run.sh.
import { spawn } from "node:child_process";
import { startSimBmc } from "../../test/support/ipmi/sim";
import { RmcpBmc } from "../../test/support/rmcp-bmc";
import { ipmilanDriver } from "../../fence-drivers/ipmilan/index";

const runs = Number(process.argv[2] ?? "20");
const port = Number(process.argv[3] ?? "32901");
const lagMs = Number(process.env.LAG_MS ?? "30");

function stats(name: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`${name.padEnd(58)} median ${median.toFixed(1)} ms  min ${sorted[0]!.toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms  (n=${sorted.length})`);
}

/** fence_ipmilan with options on stdin; asynchronous, because the test BMC answers from this process. */
function fenceIpmilan(options: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn("fence_ipmilan", [], { stdio: ["pipe", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => { clearTimeout(timer); resolve(code); });
    child.stdin.end(Object.entries(options).map(([key, value]) => `${key}=${value}\n`).join(""));
  });
}

interface Target { options: Record<string, string>; power(): "on" | "off" | undefined }

/** Median of `runs` confirmed offs via our driver and via fence_ipmilan against one BMC. */
async function compare(label: string, target: Target): Promise<void> {
  const context = () => ({ signal: AbortSignal.timeout(20_000), debug: () => {} });
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let run = 0; run < runs; run++) {
    await ipmilanDriver.run("on", target.options, context());
    let start = process.hrtime.bigint();
    const off = await ipmilanDriver.run("off", target.options, context());
    ours.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (off.exitCode !== 0 || target.power() !== "off") throw new Error(`ipmilan off (${label}) failed: ${off.message}`);
    await ipmilanDriver.run("on", target.options, context());
    start = process.hrtime.bigint();
    const code = await fenceIpmilan({ action: "off", ...target.options });
    theirs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (code !== 0 || target.power() !== "off") throw new Error(`fence_ipmilan off (${label}) failed (exit ${code})`);
  }
  stats(`edgeha ipmilan (in process), ${label}`, ours);
  stats(`fence_ipmilan (fence-agents), ${label}`, theirs);
}

async function main(): Promise<void> {
  const sim = await startSimBmc(port, "on");
  try {
    const base = { ip: "127.0.0.1", ipport: String(port), username: sim.user, password: sim.password };
    await compare("ipmi_sim, cipher 3", { options: { ...base, lanplus: "1", cipher: "3" }, power: () => sim.power() });
    await compare("ipmi_sim, IPMI 1.5 MD5", { options: { ...base, lanplus: "0", auth: "md5" }, power: () => sim.power() });
  } finally {
    sim.stop();
  }
  const bmc = new RmcpBmc({ user: "fencer", password: "bench-17-pw" });
  const bmcPort = await bmc.listen("127.0.0.1", port + 1);
  try {
    const options = { ip: "127.0.0.1", ipport: String(bmcPort), username: "fencer", password: "bench-17-pw", lanplus: "1", cipher: "17" };
    await compare("test BMC, cipher 17", { options, power: () => bmc.power });
  } finally {
    await bmc.close();
  }
  const lagging = new RmcpBmc({ user: "fencer", password: "bench-17-pw", statusLagMs: lagMs });
  const laggingPort = await lagging.listen("127.0.0.1", port + 2);
  try {
    const options = { ip: "127.0.0.1", ipport: String(laggingPort), username: "fencer", password: "bench-17-pw", lanplus: "1", cipher: "17" };
    // The power the BMC has switched to (the status may read it a little later).
    await compare(`test BMC, cipher 17, status follows ${lagMs} ms late`, { options, power: () => (lagging.events.at(-1) === "off" ? "off" : "on") });
  } finally {
    await lagging.close();
  }
}

main().catch((error) => { console.error(error instanceof Error ? error.message : error); process.exit(1); });
