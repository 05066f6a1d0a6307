// Agent meta-data: parsed from the XML an agent prints for `meta-data`, and used to check
// an OCF resource's parameters before any action runs. An agent's output is input like any
// other: read by the bounded XML parser (src/common/xml.ts), errors with their place.
import { EdgehaError } from "../common/errors";
import { childElement, childElements, parseXmlDocument, type XmlElement } from "../common/xml";
import { runProcess } from "./process";
import path from "node:path";

export interface DescribedParameter {
  name: string;
  required: boolean;
  default?: string;
  description: string;
  /** content type= of the meta-data: string, integer, boolean, select, ... */
  type?: string;
  /** The options of a select. */
  choices?: string[];
  /** unique="1": no two resources may share the value. */
  unique?: boolean;
  deprecated?: boolean;
}
export interface DescribedAction { name: string; timeout?: string; interval?: string; role?: string; depth?: string; startDelay?: string }
export interface Described { name: string; description: string; parameters: DescribedParameter[]; actions: DescribedAction[] }

/** Meta-data is a few KiB (the largest of resource-agents 4.12 is 13 KB); these bounds leave ample room. */
const METADATA_LIMITS = { textLengthMax: 1024 * 1024, elementsMax: 10_000, depthMax: 16 };

const textOf = (element: XmlElement | undefined): string => (element?.text ?? "").trim();

export function parseMetadata(name: string, xml: string): Described {
  const root = parseXmlDocument(xml, { source: `the meta-data of ${name}`, syntaxCode: "E_AGENT_METADATA", limitCode: "E_AGENT_METADATA", limits: METADATA_LIMITS });
  if (root.name !== "resource-agent") throw new EdgehaError("E_AGENT_METADATA", `${name} printed meta-data whose root is <${root.name}>, not <resource-agent>`);
  const parameters = childElements(childElement(root, "parameters") ?? root, "parameter").map((parameter): DescribedParameter => {
    const content = childElement(parameter, "content");
    const described: DescribedParameter = {
      name: parameter.attributes.name ?? "",
      required: parameter.attributes.required === "1" || parameter.attributes.required === "true",
      description: textOf(childElement(parameter, "shortdesc")) || textOf(childElement(parameter, "longdesc")),
    };
    if (content?.attributes.default !== undefined) described.default = content.attributes.default;
    if (content?.attributes.type !== undefined) described.type = content.attributes.type;
    const options = content ? childElements(content, "option").map((option) => option.attributes.value ?? "") : [];
    if (options.length > 0) described.choices = options;
    if (parameter.attributes.unique === "1" || parameter.attributes.unique === "true") described.unique = true;
    if (parameter.attributes.deprecated === "1" || parameter.attributes.deprecated === "true") described.deprecated = true;
    return described;
  }).filter((parameter) => parameter.name !== "");
  const actions = childElements(childElement(root, "actions") ?? root, "action").map((action): DescribedAction => {
    const described: DescribedAction = { name: action.attributes.name ?? "", timeout: action.attributes.timeout, interval: action.attributes.interval };
    if (action.attributes.role !== undefined) described.role = action.attributes.role;
    if (action.attributes.depth !== undefined) described.depth = action.attributes.depth;
    if (action.attributes["start-delay"] !== undefined) described.startDelay = action.attributes["start-delay"];
    return described;
  }).filter((action) => action.name !== "");
  return { name, description: textOf(childElement(root, "shortdesc")) || textOf(childElement(root, "longdesc")), parameters, actions };
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
