// A minimal element tree over fast-xml-parser's ordered output, with the line
// of each element so that errors can say where.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { EdgehaError } from "../common/errors";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

type Ordered = Array<Record<string, unknown>>;

function convert(nodes: Ordered): XmlElement[] {
  const result: XmlElement[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((key) => key !== ":@");
    if (!name || name === "#text" || name.startsWith("?") || name === "#comment") continue;
    const attributes = (node[":@"] as Record<string, string> | undefined) ?? {};
    result.push({ name, attributes: { ...attributes }, children: convert((node[name] as Ordered) ?? []) });
  }
  return result;
}

/** Parses XML text into elements; a syntax error names the file, line and column. */
export function parseXml(text: string, fileName: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    throw new EdgehaError("E_CIB_XML", `${fileName}:${line}:${col}: ${msg}`);
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    // Also numeric character references (&#65; &#x42;), which libxml2 decodes for Pacemaker.
    htmlEntities: true,
    // Attribute values are kept byte for byte: a trailing space changes an operation digest.
    trimValues: false,
    commentPropName: "#comment",
  });
  const roots = convert(parser.parse(text) as Ordered);
  const root = roots[0];
  if (!root) throw new EdgehaError("E_CIB_XML", `${fileName}: no XML element found`);
  return root;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}

export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((candidate) => candidate.name === name);
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Serializes an element tree with two-space indentation. */
export function renderXml(element: XmlElement, depth = 0): string {
  const indent = "  ".repeat(depth);
  const attributes = Object.entries(element.attributes)
    .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
    .join("");
  if (element.children.length === 0) return `${indent}<${element.name}${attributes}/>\n`;
  const inner = element.children.map((item) => renderXml(item, depth + 1)).join("");
  return `${indent}<${element.name}${attributes}>\n${inner}${indent}</${element.name}>\n`;
}
