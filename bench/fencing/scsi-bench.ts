// Time to a confirmed off through the scsi driver against tgtd: preempt the
// victim's key (off), then read the keys to confirm it is gone (status = off).
// Run with bench/fencing/scsi-run.sh (starts tgtd, bundles this file). Prints figures.
import { closeScsiSessions, scsiDriver } from "../../fence-drivers/scsi/index";

const [portal, target] = [process.argv[2]!, process.argv[3]!];
const runs = Number(process.argv[4] ?? "20");
const options = { devices: `iscsi://${portal}/${target}/1`, cluster_name: "bench", node_ids: "alpha:1,beta:2" };
const context = () => ({ signal: AbortSignal.timeout(10_000), debug: () => {} });

async function main(): Promise<void> {
  const timesMs: number[] = [];
  await scsiDriver.run("on", { ...options, plug: "alpha" }, context());
  for (let run = 0; run < runs; run++) {
    const unfenced = await scsiDriver.run("on", { ...options, plug: "beta" }, context());
    if (unfenced.exitCode !== 0) throw new Error(unfenced.message);
    const start = process.hrtime.bigint();
    const off = await scsiDriver.run("off", { ...options, plug: "beta", local_node: "alpha" }, context());
    const status = await scsiDriver.run("status", { ...options, plug: "beta", local_node: "alpha" }, context());
    timesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (off.exitCode !== 0 || status.state !== "off") throw new Error(`run ${run}: ${off.message} / ${status.message}`);
  }
  await closeScsiSessions();
  timesMs.sort((left, right) => left - right);
  const median = (timesMs[Math.floor((runs - 1) / 2)]! + timesMs[Math.ceil((runs - 1) / 2)]!) / 2;
  console.log(`scsi (tgtd, own iSCSI initiator): confirmed off median ${median.toFixed(2)} ms over ${runs} runs (min ${timesMs[0]!.toFixed(2)}, max ${timesMs[runs - 1]!.toFixed(2)})`);
}

main().catch((error) => { console.error(error); process.exit(1); });
