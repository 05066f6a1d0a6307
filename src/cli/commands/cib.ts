// `edgeha cib import|export|show`: convert between Pacemaker CIB XML and the
// native JSON form, and summarise a CIB.
import { writeFileSync } from "node:fs";
import { exportCibXml, formatVersion, allPrimitives, cibDigest, diffCibs, readCibFile, serializeNativeCib } from "../../cib";
import { clusterOptionsAt } from "../../scheduler";
import { UsageError } from "../../common/errors";
import type { Command, CommandContext, ParsedArguments } from "../command";

function onlyFile(args: ParsedArguments, command: string): string {
  if (args.positionals.length !== 1) throw new UsageError(`'edgeha ${command}' needs exactly one FILE`, `Run 'edgeha ${command} --help'.`);
  return args.positionals[0]!;
}

function emit(text: string, output: unknown, context: CommandContext): void {
  if (typeof output === "string") writeFileSync(output, text);
  else context.stdout.write(text);
}

function printWarnings(warnings: string[], context: CommandContext): void {
  for (const warning of warnings) context.stderr.write(`warning: ${warning}\n`);
}

const importCommand: Command = {
  words: ["cib", "import"],
  summary: "Read a Pacemaker CIB (XML) and write edgeha's native JSON form.",
  usage: "FILE.xml [-o FILE.json]",
  description: "Reads the output of `cibadmin -Q` or `pcs cluster cib`. Elements outside edgeha's scope are listed as warnings on stderr, naming the element and its id; nothing is dropped silently.",
  examples: ["cib import cluster.xml -o cluster.json"],
  options: [
    { name: "output", short: "o", kind: "string", value: "FILE", description: "Write to FILE instead of standard output." },
    { name: "json", kind: "boolean", description: "Print one JSON object on stdout: version, digest, warnings, and the CIB itself unless -o is given." },
  ],
  run(args, context) {
    const { cib, warnings } = readCibFile(onlyFile(args, "cib import"));
    if (args.options.json) {
      if (typeof args.options.output === "string") writeFileSync(args.options.output, serializeNativeCib(cib));
      const report = { version: formatVersion(cib.version), digest: cibDigest(cib), warnings, ...(typeof args.options.output === "string" ? { output: args.options.output } : { cib }) };
      context.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    printWarnings(warnings, context);
    emit(serializeNativeCib(cib), args.options.output, context);
    return 0;
  },
};

const exportCommand: Command = {
  words: ["cib", "export"],
  summary: "Read a native CIB (JSON or YAML) and write Pacemaker CIB XML.",
  usage: "FILE.json [-o FILE.xml]",
  description: "The XML can be loaded by Pacemaker's tools (crm_simulate -x, cibadmin --replace).",
  examples: ["cib export cluster.json -o cluster.xml"],
  options: [{ name: "output", short: "o", kind: "string", value: "FILE", description: "Write to FILE instead of standard output." }],
  run(args, context) {
    const { cib, warnings } = readCibFile(onlyFile(args, "cib export"));
    printWarnings(warnings, context);
    emit(exportCibXml(cib), args.options.output, context);
    return 0;
  },
};

const showCommand: Command = {
  words: ["cib", "show"],
  summary: "Summarise a CIB file (XML or native): version, digest, nodes, resources, constraints.",
  usage: "FILE [--json]",
  examples: ["cib show cluster.xml"],
  options: [{ name: "json", kind: "boolean", description: "Print JSON." }],
  run(args, context) {
    const { cib, warnings: readWarnings } = readCibFile(onlyFile(args, "cib show"));
    const { options, warnings: optionWarnings } = clusterOptionsAt(cib, { now: Math.floor(Date.now() / 1000) });
    printWarnings([...readWarnings, ...optionWarnings], context);
    const summary = {
      version: formatVersion(cib.version),
      digest: cibDigest(cib),
      properties: options.raw,
      stonithEnabled: options.stonithEnabled,
      noQuorumPolicy: options.noQuorumPolicy,
      nodes: cib.nodes.map((node) => node.uname),
      resources: cib.resources.map((resource) => `${resource.id} (${resource.kind})`),
      primitives: allPrimitives(cib.resources).length,
      constraints: cib.constraints.length,
      fencingLevels: cib.fencingTopology.length,
      nodesWithStatus: cib.status.length,
    };
    if (args.options.json) {
      context.stdout.write(`${JSON.stringify(summary)}\n`);
      return 0;
    }
    const lines = [
      `version ${summary.version}  digest ${summary.digest.slice(0, 16)}`,
      `nodes (${summary.nodes.length}): ${summary.nodes.join(", ")}`,
      `resources (${summary.resources.length}, ${summary.primitives} primitives): ${summary.resources.join(", ")}`,
      `constraints: ${summary.constraints}   fencing levels: ${summary.fencingLevels}`,
      `cluster properties: ${Object.entries(summary.properties).map(([key, value]) => `${key}=${value}`).join(" ") || "(none)"}`,
    ];
    context.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

const diffCommand: Command = {
  words: ["cib", "diff"],
  summary: "Print the patch (JSON) that turns one CIB into another, as members replicate it.",
  usage: "OLD NEW",
  description: "Both files may be Pacemaker XML or native JSON/YAML. The patch names the base and target versions and digests; `applyCibPatch` refuses it for any other base.",
  examples: ["cib diff before.json after.json"],
  options: [],
  run(args, context) {
    if (args.positionals.length !== 2) throw new UsageError("'edgeha cib diff' needs two files, OLD and NEW", "Run 'edgeha cib diff --help'.");
    const before = readCibFile(args.positionals[0]!);
    const after = readCibFile(args.positionals[1]!);
    printWarnings([...before.warnings, ...after.warnings], context);
    context.stdout.write(`${JSON.stringify(diffCibs(before.cib, after.cib), null, 1)}\n`);
    return 0;
  },
};

export const cibCommands: Command[] = [importCommand, exportCommand, showCommand, diffCommand];
