// Membership area commands: the arbiter (agent and status are in cluster.ts; the simulator in sim.ts).
import type { Command } from "../command";
import { UsageError } from "../../common/errors";
import { loadAuthkey, parseArbiter } from "../../config";
import { join } from "node:path";
import { startArbiter } from "../../node/arbiter";
import { createLogger } from "../../common/log";
import type { ArbiterPreference } from "../../quorum";

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

export const membershipCommands: Command[] = [arbiterCommand];
