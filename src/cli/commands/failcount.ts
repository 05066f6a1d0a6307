// `resource failcount reset`: the fail counts (and last failures) of a resource forgotten, on
// the running cluster through the DC's cleanup path (pcs 0.9's reset ran crm_resource
// --cleanup; pcs 0.10 dropped the verb for cleanup, which does the same), or in a CIB file's
// status section. `resource failcount show` is in pcs.ts.
import { parseKeyValues, requireFailCountTarget, resetFailCounts, type FailCountFilter } from "../../admin";
import { requestApi } from "../../api";
import { parseDurationMs } from "../../cib";
import { EdgehaError, UsageError } from "../../common/errors";
import { configDefaults } from "../../config/index";
import type { Command, CommandContext } from "../command";
import { fileOption, forceOption, jsonOption, socketOption, targetFor } from "./admin-target";

const print = (context: CommandContext, text: string): void => void context.stdout.write(`${text}\n`);
const json = (context: CommandContext, value: unknown): number => (print(context, JSON.stringify(value)), 0);

/** `[RESOURCE [NODE [OPERATION]]] [node=NODE] [operation=OP [interval=I]]`: pcs 0.9 wrote them by position, crm_resource by name. */
function parseFailCountWords(words: readonly string[]): FailCountFilter {
  const named = parseKeyValues(words.filter((word) => word.includes("=")), "resource failcount reset");
  for (const key of Object.keys(named)) if (!["node", "operation", "interval"].includes(key)) throw new UsageError(`'${key}' is not an option of 'resource failcount reset' (node=, operation=, interval=)`);
  const plain = words.filter((word) => !word.includes("="));
  if (plain.length > 3) throw new UsageError("'edgeha resource failcount reset' takes at most RESOURCE NODE OPERATION", "Run 'edgeha resource failcount reset --help'.");
  const [resource, node = named.node, operation = named.operation] = plain;
  if (named.interval !== undefined && operation === undefined) throw new UsageError("interval= needs operation= (the fail counts of which operation)");
  const filter: FailCountFilter = {};
  if (resource !== undefined) filter.resource = resource;
  if (node !== undefined) filter.node = node;
  if (operation !== undefined) filter.operation = operation;
  if (operation !== undefined) filter.intervalMs = named.interval === undefined ? 0 : parseDurationMs(named.interval, "interval");
  return filter;
}

export const failCountReset: Command = {
  words: ["resource", "failcount", "reset"],
  summary: "Reset fail counts (and last failures) so the cluster may run a resource there again: what 'resource cleanup' does, as pcs's failcount reset did.",
  usage: "[RESOURCE [NODE]] [operation=OP [interval=INTERVAL]] [-f FILE | --socket PATH] [--json]",
  description: [
    "On the running cluster the DC has every node (or NODE) clear the fail counts of RESOURCE (all resources when none is named) and forget the history of what failed, so it is probed again and placed anew; pcs's failcount reset ran crm_resource --cleanup, and so does this.",
    "With operation=OP only that operation's fail counts go (interval defaults to 0: interval=10s for a 10 s monitor). With -f FILE the fail-count-* and last-failure-* node attributes of the file's status section are removed.",
  ].join("\n"),
  examples: ["resource failcount reset web", "resource failcount reset web node1 operation=monitor interval=10s", "resource failcount reset -f cib.xml"],
  options: [fileOption, socketOption, jsonOption, forceOption],
  async run(args, context) {
    const filter = parseFailCountWords(args.positionals);
    const what = `${filter.resource ?? "all resources"}${filter.node === undefined ? "" : ` on ${filter.node}`}`;
    if (typeof args.options.file === "string") {
      let cleared: Array<{ node: string; name: string }> = [];
      const changed = await targetFor(args).change((cib) => {
        const reset = resetFailCounts(cib, filter);
        cleared = reset.cleared;
        return { cib: reset.cib, warnings: [], changed: cleared.length > 0 };
      });
      if (args.options.json) return json(context, { ok: true, changed: cleared.length > 0, version: changed.version, cleared });
      print(context, cleared.length === 0 ? `no fail counts of ${what} to reset` : `reset fail counts of ${what}: removed ${cleared.map((item) => `${item.name} (${item.node})`).join(", ")}`);
      return 0;
    }
    // The cluster's configuration names the resources; its status lives on the nodes.
    if (filter.resource !== undefined) requireFailCountTarget({ ...(await targetFor(args).read()).cib, status: [] }, { resource: filter.resource });
    const socket = typeof args.options.socket === "string" ? args.options.socket : configDefaults.DEFAULT_SOCKET_PATH;
    const request = { command: "resource-cleanup", ...filter };
    const reply = (await requestApi(socket, request, 15_000)) as { error?: string; code?: string; message?: string };
    if (reply.error !== undefined) throw new EdgehaError(reply.code && /^E_[A-Z0-9_]+$/.test(reply.code) ? reply.code : "E_ADMIN_LIVE", `failcount reset failed: ${reply.error}`);
    if (args.options.json) return json(context, { ok: true, message: reply.message });
    print(context, reply.message ?? `reset fail counts of ${what}`);
    return 0;
  },
};

