// `edgeha sim`: the deterministic simulator of the whole cluster over many seeds.
import type { Command } from "../command";
import { UsageError } from "../../common/errors";
import { MUTATIONS, mutationNamed, runSeed, type SeedResult } from "../../sim";

function positiveInteger(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not '${String(value)}'`);
  return number;
}

const COUNTED = ["transitions", "actions", "fences", "crashes", "acknowledged"] as const;

const simCommand: Command = {
  words: ["sim"],
  summary: "Run the deterministic simulator of the whole cluster over many seeds",
  usage: "[--seeds N] [--seed S] [--nodes K] [--mutation NAME] [--json]",
  description: [
    "Runs K nodes of edgeha's own code (frame codec, membership, quorum, arbiter, controller, scheduler, fencer planner; by default 2..5 nodes drawn from the seed) over a simulated network, clock, disk, executor, fence devices and CLI clients. Everything comes from the seed: the cluster (quorum options, fencing, resources), concurrent configuration changes through random members, and faults: partitions (one-way too), link failures, loss, delay, duplication and reordering, agent crashes and restarts, power losses, stalls longer than the token, clock drift and jumps, crashes in the middle of a CIB write, fence devices that fail, are slow or never answer, resource agents that fail, hang or time out, resources that die, and forged, replayed and foreign frames.",
    "After every step it checks against the simulated world's truth: no-double-active (fencing on: no resource runs on two nodes), acked-change-durable (a change the CLI was told is done is in every later DC's configuration), one-dc (per quorate partition), quorum-gates-resources (a node without quorum starts nothing beyond no-quorum-policy), fence-before-start (nothing that ran on a lost node starts elsewhere before its fencing is confirmed), fence-only-for-cause (a member is fenced only after a stop really failed there), bad-frames-change-nothing, assertions-hold, and the membership ones (ring ids only grow, quorate partitions overlap, silent members leave the view). Once every fault heals it checks liveness: within 40 s (simulated) every resource that can run runs once and every member agrees on the DC and the configuration.",
    "A failing seed prints the invariant, the command that replays it exactly and the last events in domain words. --mutation breaks one rule on purpose (" + MUTATIONS.map((mutation) => mutation.name).join(", ") + ") to see the simulator catch it. The exit status is 1 when any seed failed.",
  ].join("\n\n"),
  examples: ["sim --seeds 1000", "sim --seed 42", "sim --seed 7 --nodes 3 --json", "sim --seeds 200 --mutation keep-two-dcs-after-merge"],
  options: [
    { name: "seeds", kind: "number", value: "N", description: "How many seeds to run, from --seed on (default 100)." },
    { name: "seed", kind: "number", value: "S", description: "First seed (default 1); with no --seeds, runs only this one." },
    { name: "nodes", kind: "number", value: "K", description: "Number of nodes, 2..16 (default: drawn from each seed, 2..5). Above 8 nodes only membership and quorum run." },
    { name: "mutation", kind: "string", value: "NAME", description: "Break one rule on purpose: " + MUTATIONS.map((mutation) => `${mutation.name} (${mutation.rule})`).join("; ") + "." },
    { name: "json", kind: "boolean", description: "Print one JSON object per seed." },
  ],
  run(args, context) {
    const seedGiven = args.options.seed !== undefined;
    const first = positiveInteger(args.options.seed, "seed", 2 ** 31) ?? 1;
    const count = positiveInteger(args.options.seeds, "seeds", 1_000_000) ?? (seedGiven ? 1 : 100);
    const nodes = positiveInteger(args.options.nodes, "nodes", 16);
    if (nodes === 1) throw new UsageError("--nodes must be at least 2");
    const mutationName = args.options.mutation;
    const mutation = typeof mutationName === "string" ? mutationNamed(mutationName) : undefined;
    if (typeof mutationName === "string" && mutation === undefined) throw new UsageError(`--mutation '${mutationName}' is not one of ${MUTATIONS.map((each) => each.name).join(", ")}`);
    const totals: Record<(typeof COUNTED)[number], number> = { transitions: 0, actions: 0, fences: 0, crashes: 0, acknowledged: 0 };
    const failures: SeedResult[] = [];
    const checked = new Set<string>();
    const startedMs = performance.now();
    for (let seed = first; seed < first + count; seed++) {
      const result = runSeed(seed, { ...(nodes !== undefined ? { nodes } : {}), ...(mutation ? { mutation } : {}) });
      for (const key of COUNTED) totals[key] += result[key];
      for (const name of result.invariants) checked.add(name);
      if (args.options.json) context.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.ok) continue;
      failures.push(result);
      const violation = result.violation!;
      context.stderr.write(`seed ${seed} (${result.nodes} nodes) FAILED ${violation.invariant} at ${(violation.timeMs / 1000).toFixed(3)} s: ${violation.message}\n  replay: ${result.replay}\n${(result.trace ?? []).map((line) => `    ${line}\n`).join("")}`);
    }
    if (!args.options.json) {
      const seconds = (performance.now() - startedMs) / 1000;
      context.stdout.write(`${count} seed${count === 1 ? "" : "s"}${mutation ? ` with the mutation ${mutation.name}` : ""}: ${failures.length} failed; ${COUNTED.map((key) => `${totals[key]} ${key}`).join(", ")}; ${(count / seconds).toFixed(1)} seeds/s\n`);
      context.stdout.write(`invariants checked: ${[...checked].join(", ")}\n`);
    }
    return failures.length === 0 ? 0 : 1;
  },
};

export const simCommands: Command[] = [simCommand];
