// Agent meta-data: parsed from the XML an agent prints for `meta-data`, and used to check
// an OCF resource's parameters before any action runs.
import { XMLParser } from "fast-xml-parser";
import { EdgehaError } from "../common/errors";
import { runProcess } from "./process";
import path from "node:path";

export interface Described { name: string; description: string; parameters: Array<{ name: string; required: boolean; default?: string; description: string }>; actions: Array<{ name: string; timeout?: string; interval?: string }> }

export function parseMetadata(name: string, xml: string): Described {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (tag) => tag === "parameter" || tag === "action" });
  const root = (parser.parse(xml) as { "resource-agent"?: Record<string, unknown> })["resource-agent"];
  if (!root) throw new EdgehaError("E_AGENT_METADATA", `${name} printed meta-data without a <resource-agent> element`);
  const text = (value: unknown): string => (typeof value === "string" ? value : typeof value === "object" && value !== null && "#text" in value ? String((value as Record<string, unknown>)["#text"]) : "").trim();
  const parameters = ((root.parameters as { parameter?: Array<Record<string, unknown>> } | undefined)?.parameter ?? []).map((parameter) => ({
    name: String(parameter.name), required: parameter.required === "1" || parameter.required === "true",
    default: (parameter.content as Record<string, string> | undefined)?.default, description: text(parameter.shortdesc) || text(parameter.longdesc),
  }));
  const actions = ((root.actions as { action?: Array<Record<string, string>> } | undefined)?.action ?? []).map((action) => ({ name: action.name!, timeout: action.timeout, interval: action.interval }));
  return { name, description: text(root.shortdesc) || text(root.longdesc), parameters, actions };
}


const cache = new Map<string, Promise<Described | undefined>>();

/**
 * The meta-data of an OCF agent file, asked once per agent and kept; undefined when the
 * agent prints none that parses (then nothing is checked against it).
 */
export function agentMetadata(file: string, ocfRoot: string): Promise<Described | undefined> {
  let entry = cache.get(file);
  if (!entry) {
    entry = runProcess({ family: "ocf-agent", path: file }, ["meta-data"], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", OCF_ROOT: ocfRoot, OCF_FUNCTIONS_DIR: path.join(ocfRoot, "lib", "heartbeat") }, timeoutMs: 10_000 })
      .then((result) => (result.exitCode === 0 ? parseMetadata(file, result.stdout) : undefined))
      .catch(() => undefined);
    cache.set(file, entry);
  }
  return entry;
}

/** Required parameters that have no value (meta-data defaults do not count: the agent applies them). */
export function missingRequired(described: Described, params: Readonly<Record<string, string>>): string[] {
  return described.parameters.filter((parameter) => parameter.required && !(params[parameter.name] ?? "").trim() && !parameter.default).map((parameter) => parameter.name);
}
