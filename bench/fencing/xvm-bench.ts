// Time to a confirmed off through the xvm driver against fence_virtd (libvirt
// test:///default, domain "test"): off, then status must read off. The driver
// checks the domain is in the host list before each action, as in production.
// Run with bench/fencing/xvm-run.sh (namespace, fence_virtd, bundling). Prints figures.
import { xvmDriver } from "../../fence-drivers/xvm/index";

const [keyFile, port] = [process.argv[2]!, process.argv[3]!];
const runs = Number(process.argv[4] ?? "20");
const options = { key_file: keyFile, ipport: port, retrans: "5", port: "test" };
const context = () => ({ signal: AbortSignal.timeout(10_000), debug: () => {} });

async function main(): Promise<void> {
  const timesMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const on = await xvmDriver.run("on", options, context());
    if (on.exitCode !== 0) throw new Error(on.message);
    const start = process.hrtime.bigint();
    const off = await xvmDriver.run("off", options, context());
    const status = await xvmDriver.run("status", options, context());
    timesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (off.exitCode !== 0 || status.state !== "off") throw new Error(`run ${run}: ${off.message} / ${status.message}`);
  }
  timesMs.sort((left, right) => left - right);
  const median = (timesMs[Math.floor((runs - 1) / 2)]! + timesMs[Math.ceil((runs - 1) / 2)]!) / 2;
  console.log(`xvm (fence_virtd, test:///default): confirmed off median ${median.toFixed(1)} ms over ${runs} runs (min ${timesMs[0]!.toFixed(1)}, max ${timesMs[runs - 1]!.toFixed(1)})`);
}

main().catch((error) => { console.error(error); process.exit(1); });
