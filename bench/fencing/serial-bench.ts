// Time to a confirmed off via edgeha's ipmi-serial driver against the test serial
// BMC (test/support/serial-bmc.ts) on a socat pseudo-terminal pair at 115200 baud,
// in Basic Mode and Terminal Mode: the driver reads the state, sends Chassis
// Control off and polls Get Chassis Status until it reads off. For scale, ipmitool's
// `chassis power off` (which does not confirm) through the same pair.
// Power is set back on between runs (not timed). Run with bench/fencing/serial-run.sh.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { startPtyPair, startSerialBmc } from "../../test/support/serial-bmc";
import { ipmiSerialDriver } from "../../fence-drivers/ipmi-serial/index";

const runs = Number(process.argv[2] ?? "20");
/** The CLI bundle (npm test or scripts/bundle.mjs builds it), run as `edgeha fence-driver ipmi-serial`. */
const bundle = path.join(process.argv[3] ?? process.cwd(), "dist/edgeha.cjs");

function fenceDriverProcess(input: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, "fence-driver", "ipmi-serial"], { stdio: ["pipe", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => { clearTimeout(timer); resolve(code ?? 1); });
    child.stdin.end(input);
  });
}

/** Still on after an off? (A function, so the compiler does not narrow the power set just before.) */
function poweredOn(bmc: { power: string }): boolean {
  return bmc.power !== "off";
}

function stats(name: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`${name.padEnd(52)} median ${median.toFixed(1)} ms  min ${sorted[0]!.toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms  (n=${sorted.length})`);
}

function ipmitool(mode: string, device: string, ...command: string[]): Promise<number> {
  return new Promise((resolve) => execFile("ipmitool", ["-I", `serial-${mode}`, "-D", `${device}:115200`, ...command], { timeout: 40_000 }, (error) => resolve(error ? 1 : 0)));
}

async function main(): Promise<void> {
  console.log("A pty pair does not pace bytes at the baud rate: on a real 115200 8N1 line add 86.8 µs per byte sent or received.");
  for (const mode of ["basic", "terminal"] as const) {
    const pair = await startPtyPair();
    const bmc = startSerialBmc(pair.bmc, mode, "on");
    try {
      const options = { serial_port: pair.client, serial_params: "115200,8N1", mode };
      const context = () => ({ signal: AbortSignal.timeout(20_000), debug: () => {} });
      const ours: number[] = [];
      const reference: number[] = [];
      const processes: number[] = [];
      let ourRequests = 0;
      for (let run = 0; run < runs; run++) {
        bmc.power = "on";
        const before = bmc.requests.length;
        let start = process.hrtime.bigint();
        const off = await ipmiSerialDriver.run("off", options, context());
        ours.push(Number(process.hrtime.bigint() - start) / 1e6);
        ourRequests += bmc.requests.length - before;
        if (off.exitCode !== 0 || poweredOn(bmc)) throw new Error(`ipmi-serial off failed: ${off.message}`);
        bmc.power = "on";
        start = process.hrtime.bigint();
        const code = await ipmitool(mode, pair.client, "chassis", "power", "off");
        reference.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (code !== 0 || poweredOn(bmc)) throw new Error("ipmitool chassis power off failed");
        if (!existsSync(bundle)) continue;
        bmc.power = "on";
        start = process.hrtime.bigint();
        const exit = await fenceDriverProcess(`action=off\nserial_port=${pair.client}\nmode=${mode}\n`);
        processes.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (exit !== 0 || poweredOn(bmc)) throw new Error(`edgeha fence-driver ipmi-serial off failed (exit ${exit})`);
      }
      stats(`edgeha ipmi-serial ${mode} (in process), off confirmed`, ours);
      console.log(`  requests per confirmed off: ${ourRequests / runs}`);
      if (processes.length > 0) stats(`edgeha fence-driver ipmi-serial ${mode} (process), off confirmed`, processes);
      stats(`ipmitool -I serial-${mode} chassis power off (unconfirmed)`, reference);
    } finally {
      bmc.close();
      await pair.stop();
    }
  }
}

main().catch((error) => { console.error(error instanceof Error ? error.message : error); process.exit(1); });
