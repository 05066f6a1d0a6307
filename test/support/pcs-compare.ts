// Runs pcs command lines once with `pcs -f FILE` and once with `edgeha -f FILE` from the
// same starting CIB and compares the outcomes (test/data/pcs-command-lines.txt says how).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseXmlDocument, type XmlElement } from "../../src/common/xml";

export interface Step {
  /** The words after `pcs` as written in the data file. */
  line: string;
  /** Listed only: acts on running nodes, not run offline. */
  live: boolean;
  /** Run without -f (pcs refuses -f on commands that read no CIB: resource agents, stonith list). */
  noFile: boolean;
  /** Starts from the initial CIB again. */
  restart: boolean;
  section: string;
}

export interface Outcome {
  line: string;
  section: string;
  pcs: { status: number; out: string; err: string };
  edgeha: { status: number; out: string; err: string };
  /** Both succeeded or both failed. */
  sameResult: boolean;
  /** The normalized configuration of the file the line worked on, equal after both. */
  sameConfiguration: boolean;
  pcsConfiguration: string;
  edgehaConfiguration: string;
}

export function readSteps(file: string): Step[] {
  const steps: Step[] = [];
  let section = "";
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const text = raw.trim();
    if (text.startsWith("## ")) section = text.slice(3);
    if (text === "" || text.startsWith("#")) continue;
    if (text === "== restart") {
      steps.push({ line: "", live: false, noFile: false, restart: true, section });
      continue;
    }
    const live = text.startsWith("live: ");
    const noFile = text.startsWith("nocib: ");
    steps.push({ line: live ? text.slice(6) : noFile ? text.slice(7) : text, live, noFile, restart: false, section });
  }
  return steps;
}

/** Splits a command line as a POSIX shell would for words, "double" and 'single' quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | undefined;
  let started = false;
  for (const character of line) {
    if (quote) {
      if (character === quote) quote = undefined;
      else current += character;
    } else if (character === '"' || character === "'") {
      quote = character;
      started = true;
    } else if (/\s/.test(character)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else {
      current += character;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

/** Elements whose children are a set: their order carries no meaning. */
const UNORDERED = new Set(["crm_config", "cluster_property_set", "instance_attributes", "meta_attributes", "utilization", "operations", "constraints", "rsc_defaults", "op_defaults", "nodes", "fencing-topology", "tags", "alerts"]);
/** Elements whose ids are names a person gave (resources, nodes) or references to them; every other id is generated. */
const NAMED = new Set(["primitive", "group", "clone", "master", "bundle", "template", "node", "tag", "resource_ref", "obj_ref"]);

function canonical(element: XmlElement): string {
  const attributes = Object.entries(element.attributes)
    .filter(([name]) => name !== "id" || NAMED.has(element.name))
    // A rule of one expression: pcs writes no boolean-op, edgeha Pacemaker's default, and (the same rule).
    .filter(([name, value]) => !(element.name === "rule" && name === "boolean-op" && value === "and" && element.children.length === 1))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  const kept = element.children.map((child) => ({ name: child.name, text: canonical(child) })).filter((child) => child.text !== "");
  // Siblings of different kinds (a clone's meta_attributes and its primitive) may come in
  // any order; siblings of one kind (a group's members, a primitive's ops) keep theirs.
  let children = kept.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((child) => child.text);
  if (UNORDERED.has(element.name)) children = children.sort();
  // An empty container says nothing: pcs and edgeha may or may not write one.
  const container = ["crm_config", "nodes", "resources", "constraints", "rsc_defaults", "op_defaults", "fencing-topology", "operations", "instance_attributes", "meta_attributes", "utilization", "cluster_property_set", "tags", "alerts"];
  if (children.length === 0 && attributes.length === 0 && container.includes(element.name)) return "";
  if (children.length === 0 && container.includes(element.name) && element.name !== "cluster_property_set") return "";
  return `<${element.name}${attributes.length ? ` ${attributes.join(" ")}` : ""}>${children.length ? `\n${children.join("\n").replace(/^/gm, "  ")}\n` : ""}</${element.name}>`;
}

/** The configuration section of a CIB XML file, normalized; "(no file)" or "(not XML: ...)" otherwise. */
export function normalizedConfiguration(file: string): string {
  if (!existsSync(file)) return "(no file)";
  try {
    const root = parseXmlDocument(readFileSync(file, "utf8"), { source: file });
    const configuration = root.children.find((child) => child.name === "configuration");
    return configuration ? canonical(configuration) : "(no configuration)";
  } catch (error) {
    return `(not XML: ${(error as Error).message})`;
  }
}

export const START_CIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.8">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="pcmk-1"/>
      <node id="2" uname="pcmk-2"/>
    </nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;

const COROSYNC_CONF = `totem {
    version: 2
    cluster_name: mycluster
    transport: knet
}
nodelist {
    node {
        ring0_addr: pcmk-1
        name: pcmk-1
        nodeid: 1
    }
    node {
        ring0_addr: pcmk-2
        name: pcmk-2
        nodeid: 2
    }
}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
`;

export interface Runner { (words: string[], directory: string): { status: number; out: string; err: string } }

const run = (program: string, args: string[], directory: string, env: NodeJS.ProcessEnv = {}): { status: number; out: string; err: string } => {
  const result = spawnSync(program, args, { cwd: directory, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  return { status: result.status ?? -1, out: result.stdout ?? "", err: result.stderr ?? String(result.error ?? "") };
};

/** The pcs side, with the two substitutions the data file describes. */
const pcsRunner: Runner = (words, directory) => {
  if (words[0] !== "-f") return run("pcs", words, directory);
  const fileAt = words.indexOf("-f");
  const file = words[fileAt + 1]!;
  const rest = words.filter((_, index) => index !== fileAt && index !== fileAt + 1);
  if (rest[0] === "cluster" && rest[1] === "cib-push") {
    const source = rest[2]!;
    const scope = rest.includes("--config") ? ["--scope", "configuration"] : [];
    const xml = readFileSync(path.join(directory, source), "utf8");
    const configuration = rest.includes("--config") ? /<configuration>[\s\S]*<\/configuration>/.exec(xml)?.[0] ?? "" : xml;
    writeFileSync(path.join(directory, ".push.xml"), configuration);
    return run("cibadmin", ["--replace", ...scope, "--xml-file", ".push.xml"], directory, { CIB_file: path.join(directory, file) });
  }
  // Only the whole status reads corosync.conf (pcs refuses the option on status nodes, ...).
  const extra = rest[0] === "status" && rest.length === 1 ? ["--corosync_conf=corosync.conf"] : [];
  return run("pcs", ["-f", file, ...extra, ...rest], directory);
};

/** Runs edgeha by `command` (the program, then its first arguments: test/support/environment.ts's bundleCommand). */
export function edgehaRunner(command: readonly string[]): Runner {
  return (words, directory) => run(command[0]!, [...command.slice(1), ...words], directory, { OCF_ROOT: "/usr/lib/ocf" });
}

/** Runs every step in two fresh directories under `base`; returns one outcome per line run. */
export function compare(steps: readonly Step[], base: string, edgeha: Runner, pcs: Runner = pcsRunner, pcsConfigurationOf: (file: string) => string = normalizedConfiguration): Outcome[] {
  const directories = { pcs: path.join(base, "pcs"), edgeha: path.join(base, "edgeha") };
  const reset = (): void => {
    for (const directory of Object.values(directories)) {
      mkdirSync(directory, { recursive: true });
      writeFileSync(path.join(directory, "cib.xml"), START_CIB);
    }
    writeFileSync(path.join(directories.pcs, "corosync.conf"), COROSYNC_CONF);
  };
  reset();
  const outcomes: Outcome[] = [];
  for (const step of steps) {
    if (step.restart) {
      reset();
      continue;
    }
    if (step.live) continue;
    const given = shellWords(step.line);
    const words = given[0] === "-f" || step.noFile ? given : ["-f", "cib.xml", ...given];
    const file = step.noFile ? "cib.xml" : words[1]!;
    const theirs = pcs(words, directories.pcs);
    const ours = edgeha(words, directories.edgeha);
    const pcsConfiguration = pcsConfigurationOf(path.join(directories.pcs, file));
    const edgehaConfiguration = normalizedConfiguration(path.join(directories.edgeha, file));
    outcomes.push({
      line: step.line, section: step.section, pcs: theirs, edgeha: ours,
      sameResult: (theirs.status === 0) === (ours.status === 0),
      sameConfiguration: pcsConfiguration === edgehaConfiguration,
      pcsConfiguration, edgehaConfiguration,
    });
  }
  return outcomes;
}

/** Copies a file the comparison wrote, for a person to look at after a failure. */
export function keep(from: string, to: string): void {
  if (existsSync(from)) copyFileSync(from, to);
}
