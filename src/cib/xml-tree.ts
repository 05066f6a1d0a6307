// The element tree of a Pacemaker CIB, read by edgeha's bounded XML parser
// (src/common/xml.ts): every element knows its line, so errors can say where.
import { parseXmlDocument, type XmlElement, type XmlLimits, type XmlTree } from "../common/xml";

export type { XmlElement, XmlTree };

/**
 * Parses CIB XML. Malformed input is E_CIB_XML, input over a limit (size, elements,
 * depth, attribute lengths) E_CIB_TOO_LARGE; both name FILE:LINE:COLUMN.
 */
export function parseXml(text: string, fileName: string, limits?: Partial<XmlLimits>): XmlElement {
  return parseXmlDocument(text, { source: fileName, syntaxCode: "E_CIB_XML", limitCode: "E_CIB_TOO_LARGE", ...(limits ? { limits } : {}) });
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}

export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((candidate) => candidate.name === name);
}

function escapeAttribute(value: string): string {
  // Tabs and line ends as character references: written literally, a parser turns them into spaces.
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

/** Serializes an element tree with two-space indentation. */
export function renderXml(element: XmlTree, depth = 0): string {
  const indent = "  ".repeat(depth);
  const attributes = Object.entries(element.attributes)
    .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
    .join("");
  if (element.children.length === 0) return `${indent}<${element.name}${attributes}/>\n`;
  const inner = element.children.map((item) => renderXml(item, depth + 1)).join("");
  return `${indent}<${element.name}${attributes}>\n${inner}${indent}</${element.name}>\n`;
}
