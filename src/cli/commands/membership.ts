// Membership area commands: the deterministic simulator and the arbiter (agent and status are in cluster.ts).
import type { Command } from "../command";
import { UsageError } from "../../common/errors";
import { runSeed, type SeedResult } from "../../sim";
import { loadAuthkey, parseArbiter } from "../../config";
import { join } from "node:path";
import { startArbiter } from "../../node/arbiter";
import { createLogger } from "../../common/log";
import type { ArbiterPreference } from "../../quorum";

function positiveInteger(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not '${String(value)}'`);
  return number;
}

const simCommand: Command = {
  words: ["sim"],
  summary: "Run the deterministic membership and quorum simulator over many seeds",
  usage: "[--seeds N] [--seed S] [--nodes K] [--json]",
  description:
    "Runs the real frame codec, membership and quorum code for K nodes (2..16; by default drawn from the seed) over a simulated network and clock with loss, delay, duplication, reordering, partitions, link failures, crashes, restarts and clock drift, all drawn from the seed, with the quorum options (two_node, wait_for_all, last_man_standing, auto_tie_breaker, an arbiter for pairs) drawn too. After every step it checks that no two disjoint views are both quorate, that ring ids and last_man_standing voter epochs never go back on a node, and that no node keeps a member it has not heard for six tokens; after the faults heal, that every node converges on one quorate view. A failing seed prints the command that replays it exactly.",
  examples: ["sim --seeds 500", "sim --seed 42 --nodes 2", "sim --seeds 20 --nodes 16"],
  options: [
    { name: "seeds", kind: "number", value: "N", description: "How many seeds to run, from --seed on (default 100)." },
    { name: "seed", kind: "number", value: "S", description: "First seed (default 1); with no --seeds, runs only this one." },
    { name: "nodes", kind: "number", value: "K", description: "Number of nodes, 2..16 (default: drawn from each seed, 2..5)." },
    { name: "json", kind: "boolean", description: "Print one JSON object per seed." },
  ],
  run(args, context) {
    const seedGiven = args.options.seed !== undefined;
    const first = positiveInteger(args.options.seed, "seed", 2 ** 31) ?? 1;
    const count = positiveInteger(args.options.seeds, "seeds", 1_000_000) ?? (seedGiven ? 1 : 100);
    const nodes = positiveInteger(args.options.nodes, "nodes", 16);
    if (nodes === 1) throw new UsageError("--nodes must be at least 2");
    const failures: SeedResult[] = [];
    let transitions = 0;
    for (let seed = first; seed < first + count; seed++) {
      const result = runSeed(seed, nodes === undefined ? {} : { nodes });
      transitions += result.transitions;
      if (args.options.json) context.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.violation) {
        failures.push(result);
        context.stderr.write(`seed ${seed} (${result.nodes} nodes) FAILED at ${result.violation.timeMs} ms: ${result.violation.invariant}: ${result.violation.message}\n  replay: ${result.replay}\n`);
      }
    }
    if (!args.options.json) context.stdout.write(`${count} seeds, ${failures.length} failed, ${transitions} transitions in all\n`);
    return failures.length === 0 ? 0 : 1;
  },
};

const PREFERENCES: ArbiterPreference[] = ["priority-then-lowest", "lowest", "highest"];

const arbiterCommand: Command = {
  words: ["arbiter"],
  summary: "Run the quorum arbiter for a two-node pair (foreground)",
  usage: "--listen ADDR:PORT --authkey FILE --cluster NAME [--prefer RULE]",
  description:
    "Gives its one vote to exactly one side of a split: the side with more nodes, then the side reporting the higher resource priority, then the side with the lowest node id (--prefer lowest or highest skips the priority). A grant is a lease renewed by the side that holds it; another side gets the vote only after that lease has run out. Frames are authenticated and encrypted with the cluster's authkey.",
  examples: ["arbiter --listen 192.0.2.10:5406 --authkey /etc/edgeha/authkey --cluster pair"],
  options: [
    { name: "listen", kind: "string", value: "ADDR:PORT", description: "Address and UDP port to listen on." },
    { name: "authkey", kind: "string", value: "FILE", description: "The cluster's authkey (mode 0600)." },
    { name: "cluster", kind: "string", value: "NAME", description: "The cluster name, as in edgeha.yaml (it is bound into the key)." },
    { name: "prefer", kind: "string", value: "RULE", description: "priority-then-lowest (default), lowest or highest." },
  ],
  async run(args, context) {
    const listen = args.options.listen;
    const authkeyFile = args.options.authkey;
    const cluster = args.options.cluster;
    if (typeof listen !== "string" || typeof authkeyFile !== "string" || typeof cluster !== "string") {
      throw new UsageError("'edgeha arbiter' needs --listen ADDR:PORT, --authkey FILE and --cluster NAME");
    }
    const address = parseArbiter(listen);
    if (!address.ok) throw new UsageError(`--listen: ${address.reason}`);
    const prefer = (args.options.prefer ?? "priority-then-lowest") as ArbiterPreference;
    if (!PREFERENCES.includes(prefer)) throw new UsageError(`--prefer must be one of ${PREFERENCES.join(", ")}`);
    const logger = createLogger({ name: "arbiter", destination: context.stdout });
    const server = await startArbiter({
      host: address.arbiter.host, port: address.arbiter.port, clusterName: cluster, authkey: loadAuthkey(authkeyFile),
      settings: { leaseMs: 2000, holdMs: 300, preference: prefer }, logger,
    });
    logger.info({ host: address.arbiter.host, port: server.port, cluster, prefer }, "arbiter listening");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    return 0;
  },
};

export const membershipCommands: Command[] = [simCommand, arbiterCommand];
