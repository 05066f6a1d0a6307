// `edgeha simulate`: run the scheduler on a CIB file and print the transition in
// crm_simulate -S style, or as the JSON action list of the conformance corpus.
import { writeFileSync } from "node:fs";
import { readCibFile } from "../../cib";
import { UsageError } from "../../common/errors";
import { schedule, simulationNowSeconds, type ScheduledAction, type TransitionGraph } from "../../scheduler";
import type { Command, CommandContext } from "../command";
import { canonicalJson } from "../../cib";
import { readRecord } from "../../node/recorder";

/** One line of the transition summary; an action that cannot run says why, then "(blocked)", as crm_simulate does. */
export function describeAction(action: ScheduledAction): string {
  const line = actionWords(action);
  if (!action.blocked) return line;
  return action.reason ? `${line}  due to ${action.reason} (blocked)` : `${line}  (blocked)`;
}

function actionWords(action: ScheduledAction): string {
  switch (action.action) {
    case "fence": return `Fence (${action.kind ?? "reboot"}) ${action.node ?? "?"} 'reason: ${action.reason}'`;
    case "move": return `Move       ${action.resource} ( ${action.from} -> ${action.to} )`;
    case "migrate": return `Migrate    ${action.resource} ( ${action.from} -> ${action.to} )`;
    case "start": return `Start      ${action.resource} ( ${action.node} )`;
    case "stop": return `Stop       ${action.resource} ( ${action.node} )`;
    case "restart": return `Restart    ${action.resource} ( ${action.node} )`;
    case "reload": return `Reload     ${action.resource} ( ${action.node}${roleText(action)} )`;
    case "recover": return action.node !== undefined ? `Recover    ${action.resource} ( ${action.node}${roleText(action)} )` : `Recover    ${action.resource} ( ${action.from} -> ${action.to}${roleText(action)} )`;
    case "promote": return `Promote    ${action.resource} ( ${action.from_role ?? "Unpromoted"} -> ${action.to_role ?? "Promoted"} ${action.node} )`;
    case "demote": return `Demote     ${action.resource} ( ${action.from_role ?? "Promoted"} -> ${action.to_role ?? "Unpromoted"} ${action.node} )`;
    case "re-promote": return `Re-promote ${action.resource} ( Promoted ${action.node} )`;
  }
}

function roleText(action: ScheduledAction): string {
  if (action.role) return ` ${action.role}`;
  return action.from_role ? ` ${action.from_role} -> ${action.to_role}` : "";
}

/** The graph the DC runs, as Graphviz dot: one box per operation, an arrow from each operation to those that wait for it. */
export function graphDot(graph: TransitionGraph): string {
  const label = (operation: TransitionGraph["operations"][number]) => operation.kind === "fence"
    ? `fence (${operation.fenceAction ?? "reboot"}) ${operation.node}`
    : `${operation.kind} ${operation.resource ?? ""} on ${operation.node}${operation.notify ? ` (${operation.notify.notify_type}-${operation.notify.notify_operation})` : ""}`;
  const lines = graph.operations.map((operation) => `  "op${operation.id}" [label=${JSON.stringify(label(operation))}];`);
  const edges = graph.operations.flatMap((operation) => operation.after.map((first) => `  "op${first}" -> "op${operation.id}";`));
  return `digraph transition {\n${[...lines, ...edges].join("\n")}\n}\n`;
}

const simulateCommand: Command = {
  words: ["simulate"],
  summary: "Compute the transition the scheduler would run for a CIB (like crm_simulate -S).",
  usage: "--xml FILE | --cib FILE.json | --input pe-input-N.json.gz [--json] [--show-scores] [--graph FILE.dot]",
  description: "Reads a Pacemaker CIB (XML) or a native CIB and prints the actions with their reasons. The computation is pure and deterministic; the time it runs at (for date rules and failure-timeout) is the CIB's execution-date when it has one (a saved pe-input), as crm_simulate takes it, else the current time. --input replays a scheduler input the DC recorded (its flight recorder, see `edgeha history`) at the time it was recorded, and says whether the graph is the one the DC computed then (exit 1 if not).",
  examples: ["simulate --xml cluster.xml", "simulate --cib cluster.json --json", "simulate --input /var/lib/edgeha/pe/pe-warn-3.json.gz"],
  options: [
    { name: "xml", kind: "string", value: "FILE", description: "A Pacemaker CIB in XML." },
    { name: "cib", kind: "string", value: "FILE", description: "A native CIB (JSON or YAML)." },
    { name: "input", kind: "string", value: "FILE", description: "A scheduler input the DC recorded (pe-*-N.json.gz): replayed at its recorded time and compared with its recorded graph." },
    { name: "json", kind: "boolean", description: "Print the action list as JSON (the corpus format)." },
    { name: "show-scores", kind: "boolean", description: "Also print allocation scores per resource and node." },
    { name: "graph", kind: "string", value: "FILE", description: "Write the graph the DC runs (operations and their ordering) as a Graphviz dot file." },
  ],
  run(args, context) {
    if (typeof args.options.input === "string") return replayInput(args.options.input, args.options.json === true, context);
    const file = typeof args.options.xml === "string" ? args.options.xml : typeof args.options.cib === "string" ? args.options.cib : undefined;
    if (file === undefined) throw new UsageError("'edgeha simulate' needs --xml FILE or --cib FILE", "Run 'edgeha simulate --help'.");
    const { cib, warnings } = readCibFile(file);
    for (const warning of warnings) context.stderr.write(`warning: ${warning}\n`);
    // The scheduler is pure: the command hands it the time, the input's execution-date when it has one (as crm_simulate).
    const graph = schedule(cib, { now: simulationNowSeconds(cib, Math.floor(Date.now() / 1000), file) });
    for (const warning of graph.warnings ?? []) context.stderr.write(`warning: ${warning}\n`);
    if (typeof args.options.graph === "string") writeFileSync(args.options.graph, graphDot(graph));
    if (args.options.json) {
      context.stdout.write(`[\n${graph.actions.map((action) => `  ${JSON.stringify(action)}`).join(",\n")}\n]\n`);
      return 0;
    }
    if (args.options["show-scores"]) {
      context.stdout.write("Allocation scores:\n");
      for (const [resource, scores] of Object.entries(graph.scores)) {
        for (const [node, score] of Object.entries(scores)) context.stdout.write(`  ${resource} allocation score on ${node}: ${score}\n`);
      }
    }
    context.stdout.write("Transition Summary:\n");
    for (const action of graph.actions) context.stdout.write(`  * ${describeAction(action)}\n`);
    return 0;
  },
};

/** Replays a recorded input at its recorded time; exit 0 when the graph is the recorded one, 1 when not. */
function replayInput(file: string, json: boolean, context: CommandContext): number {
  const record = readRecord(file);
  const graph = schedule(record.cib, { now: record.nowSeconds });
  const replayed = { actions: graph.actions, operations: graph.operations };
  const same = canonicalJson(replayed) === canonicalJson(record.graph);
  if (json) {
    context.stdout.write(`${JSON.stringify({ file, transition: record.transition, dc: record.dc, nowSeconds: record.nowSeconds, reason: record.reason, same, actions: graph.actions, recorded: record.graph.actions })}\n`);
    return same ? 0 : 1;
  }
  context.stdout.write(`Recorded by ${record.dc} for transition ${record.transition} at ${new Date(record.nowSeconds * 1000).toISOString()}: ${record.reason}\n`);
  context.stdout.write("Transition Summary:\n");
  for (const action of graph.actions) context.stdout.write(`  * ${describeAction(action)}\n`);
  if (same) context.stdout.write(`Replay: the same graph as recorded (${graph.actions.length} actions, ${graph.operations.length} operations)\n`);
  else {
    context.stdout.write("Replay: the graph DIFFERS from the recorded one; recorded:\n");
    for (const action of record.graph.actions) context.stdout.write(`  * ${describeAction(action)}\n`);
  }
  return same ? 0 : 1;
}

export const simulateCommands: Command[] = [simulateCommand];
