// A strict, bounded XML parser for what edgeha reads: Pacemaker CIBs, OCF and fence-agent
// meta-data. One pass over the text (each character looked at a bounded number of times),
// no recursion (nesting depth cannot overflow the stack), and every limit checked while
// parsing, so a hostile or broken file costs at most the limits, never the heap.
//
// Errors name FILE:LINE:COLUMN. Refused on purpose: a DOCTYPE with an internal subset (its
// entity declarations are how "billion laughs" files expand) and any entity other than the
// five XML ones and character references; an undefined entity is an error, never kept
// literally. A DOCTYPE naming only an external DTD (as OCF agents print) is skipped, like
// libxml2 does without DTD loading. Attribute values are normalized as XML 1.0 says
// (a literal tab, newline or carriage return becomes a space; &#10; stays a newline).
import { EdgehaError } from "./errors";

/** An element as written out (no place in a file). */
export interface XmlTree {
  name: string;
  attributes: Record<string, string>;
  children: XmlTree[];
}

/** An element as parsed. */
export interface XmlElement extends XmlTree {
  /** An attribute named __proto__ is an own property like any other. */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Where the element's start tag begins (1-based). */
  line: number;
  column: number;
  /** Character data directly inside the element (CDATA included), entity-decoded; absent when only whitespace. */
  text?: string;
}

export interface XmlLimits {
  /** The whole text, in UTF-16 code units (about bytes for ASCII). */
  textLengthMax: number;
  elementsMax: number;
  depthMax: number;
  attributesPerElementMax: number;
  nameLengthMax: number;
  attributeValueLengthMax: number;
  /** Character data of one element. */
  elementTextLengthMax: number;
}

/**
 * Defaults sized for Pacemaker CIBs: the largest case of Pacemaker's scheduler regression
 * suite has about 5,400 elements; the 5,000-primitive benchmark CIB about 17,000. Nested
 * rules make the deepest CIBs about 15 levels.
 */
export const XML_LIMITS: Readonly<XmlLimits> = {
  textLengthMax: 16 * 1024 * 1024,
  elementsMax: 200_000,
  depthMax: 64,
  attributesPerElementMax: 64,
  nameLengthMax: 256,
  attributeValueLengthMax: 256 * 1024,
  elementTextLengthMax: 1024 * 1024,
};

export interface XmlParseOptions {
  /** Names the input in errors: a file name, or "the meta-data of ocf:heartbeat:IPaddr2". */
  source: string;
  /** The code of malformed input (default E_XML). */
  syntaxCode?: string;
  /** The code of input over a limit (default E_XML_LIMIT). */
  limitCode?: string;
  limits?: Partial<XmlLimits>;
}

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const NAME_START = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const NAME_CHAR = /[-.0-9\u00B7\u0300-\u036F\u203F-\u2040A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;

/** An element whose end tag has not come yet, with its character data so far. */
interface Frame { element: XmlElement; parts: string[]; length: number }

/** ASCII by code (the common case), the rest by the XML Name production. */
function isNameChar(code: number, character: string): boolean {
  if (code < 0x80) return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x3a;
  return NAME_CHAR.test(character);
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

class XmlParser {
  private index = 0;
  /** The line reached by `position`, where it starts, and where the next line end is. */
  private line = 1;
  private lineStart = 0;
  private nextNewline: number;
  private elements = 0;
  private readonly limits: XmlLimits;
  private readonly syntaxCode: string;
  private readonly limitCode: string;

  constructor(private readonly text: string, private readonly options: XmlParseOptions) {
    this.limits = { ...XML_LIMITS, ...options.limits };
    this.syntaxCode = options.syntaxCode ?? "E_XML";
    this.limitCode = options.limitCode ?? "E_XML_LIMIT";
    this.nextNewline = text.indexOf("\n");
  }

  /** Line and column of `at`; positions asked only move forward, except for error reports. */
  private position(at: number): { line: number; column: number } {
    if (at < this.lineStart) {
      // Only error reports look back (to where an unfinished element began): count afresh.
      const before = this.text.slice(0, at);
      const line = before.split("\n").length;
      return { line, column: at - before.lastIndexOf("\n") };
    }
    // The next line end is remembered, so a file on one long line is not searched again and again.
    while (this.nextNewline !== -1 && this.nextNewline < at) {
      this.line++;
      this.lineStart = this.nextNewline + 1;
      this.nextNewline = this.text.indexOf("\n", this.lineStart);
    }
    return { line: this.line, column: at - this.lineStart + 1 };
  }

  private fail(message: string, at = this.index, code = this.syntaxCode): never {
    const { line, column } = this.position(Math.min(at, this.text.length));
    throw new EdgehaError(code, `${this.options.source}:${line}:${column}: ${message}`, { source: this.options.source, line, column });
  }

  private over(what: string, limit: number, at = this.index): never {
    this.fail(`${what} exceeds edgeha's limit of ${limit}`, at, this.limitCode);
  }

  parse(): XmlElement {
    if (this.text.length > this.limits.textLengthMax) this.over(`the input (${this.text.length} characters)`, this.limits.textLengthMax, 0);
    if (this.text.charCodeAt(0) === 0xfeff) this.index = 1;
    const invalid = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/.exec(this.text);
    if (invalid) this.fail(`the character U+${invalid[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`, invalid.index);
    let root: XmlElement | undefined;
    const stack: Frame[] = [];
    while (this.index < this.text.length) {
      const open = this.text.indexOf("<", this.index);
      const end = open === -1 ? this.text.length : open;
      if (end > this.index) {
        const parent = stack[stack.length - 1];
        if (parent) this.characterData(parent, this.index, end);
        else {
          const stray = /\S/.exec(this.text.slice(this.index, end));
          if (stray) this.fail(root ? "text after the root element" : "text before the root element", this.index + stray.index);
        }
        this.index = end;
      }
      if (open === -1) break;
      const next = this.text.charCodeAt(open + 1);
      if (next === 0x3f /* ? */) this.skipTo("?>", open, "processing instruction");
      else if (this.text.startsWith("<!--", open)) this.skipTo("-->", open, "comment");
      else if (this.text.startsWith("<![CDATA[", open)) {
        const parent = stack[stack.length - 1];
        if (!parent) this.fail("CDATA outside the root element", open);
        const close = this.text.indexOf("]]>", open + 9);
        if (close === -1) this.fail("the input ends inside a CDATA section that starts here", open);
        this.appendText(parent, this.text.slice(open + 9, close), open);
        this.index = close + 3;
      } else if (this.text.startsWith("<!DOCTYPE", open)) this.doctype(open, root !== undefined || stack.length > 0);
      else if (next === 0x2f /* / */) {
        const frame = stack.pop();
        const name = this.readName(open + 2, "closing tag");
        this.skipSpace();
        if (this.text.charCodeAt(this.index) !== 0x3e) this.fail(`'>' expected to end </${name}>`);
        if (!frame) this.fail(`</${name}> closes nothing`, open);
        const element = frame.element;
        if (element.name !== name) this.fail(`</${name}> closes <${element.name}>, which opened at line ${element.line} column ${element.column}`, open);
        this.index++;
        const text = frame.parts.join("");
        if (/\S/.test(text)) element.text = text;
      } else {
        if (root && stack.length === 0) this.fail("a second root element", open);
        const { element, selfClosing } = this.startTag(open, stack.length);
        const parent = stack[stack.length - 1];
        if (parent) parent.element.children.push(element);
        else root = element;
        if (!selfClosing) stack.push({ element, parts: [], length: 0 });
      }
    }
    const unfinished = stack[stack.length - 1]?.element;
    if (unfinished) {
      const at = this.position(this.text.length);
      this.fail(`the input ends at line ${at.line} column ${at.column} inside <${unfinished.name}> (is it truncated?)`, this.text.length);
    }
    if (!root) this.fail("no XML element found", this.text.length);
    return root;
  }

  private skipTo(terminator: string, open: number, what: string): void {
    const close = this.text.indexOf(terminator, open + 2);
    if (close === -1) this.fail(`the input ends inside a ${what} that starts here`, open);
    this.index = close + terminator.length;
  }

  private doctype(open: number, late: boolean): void {
    if (late) this.fail("a DOCTYPE after the root element began", open);
    // <!DOCTYPE name [ExternalID] [ '[' internal subset ']' ] >, quoted literals may hold '>' or '['.
    let cursor = open + 9;
    for (; cursor < this.text.length; cursor++) {
      const code = this.text.charCodeAt(cursor);
      if (code === 0x22 || code === 0x27) {
        const close = this.text.indexOf(String.fromCharCode(code), cursor + 1);
        if (close === -1) break;
        cursor = close;
      } else if (code === 0x5b /* [ */) {
        this.fail("a DOCTYPE with an internal subset (entity declarations) is not accepted: edgeha expands no declared entities", cursor);
      } else if (code === 0x3e /* > */) {
        this.index = cursor + 1;
        return;
      }
    }
    this.fail("the input ends inside the DOCTYPE that starts here", open);
  }

  private skipSpace(): void {
    while (this.index < this.text.length && isSpace(this.text.charCodeAt(this.index))) this.index++;
  }

  private readName(at: number, what: string): string {
    this.index = at;
    const first = this.text[at];
    if (first === undefined || !NAME_START.test(first)) this.fail(first === undefined ? `the input ends where ${article(what)} ${what} name should be` : `'${first}' cannot begin ${article(what)} ${what} name`, at);
    let end = at + 1;
    while (end < this.text.length && isNameChar(this.text.charCodeAt(end), this.text[end]!)) {
      end++;
      if (end - at > this.limits.nameLengthMax) this.over(`${article(what)} ${what} name`, this.limits.nameLengthMax, at);
    }
    this.index = end;
    return this.text.slice(at, end);
  }

  /** `<name attributes... >` or `/>`; leaves index after the '>'. */
  private startTag(open: number, depth: number): { element: XmlElement; selfClosing: boolean } {
    if (++this.elements > this.limits.elementsMax) this.over("the number of elements", this.limits.elementsMax, open);
    if (depth + 1 > this.limits.depthMax) this.over("the nesting depth", this.limits.depthMax, open);
    const name = this.readName(open + 1, "element");
    const { line, column } = this.position(open);
    const attributes: Record<string, string> = {};
    const names: string[] = [];
    let selfClosing = false;
    for (;;) {
      const before = this.index;
      this.skipSpace();
      const code = this.text.charCodeAt(this.index);
      if (Number.isNaN(code)) this.fail(`the input ends inside the start tag <${name}> (is it truncated?)`);
      if (code === 0x3e /* > */) {
        this.index++;
        break;
      }
      if (code === 0x2f /* / */) {
        if (this.text.charCodeAt(this.index + 1) !== 0x3e) this.fail(`'>' expected after '/' in <${name}>`, this.index + 1);
        this.index += 2;
        selfClosing = true;
        break;
      }
      if (this.index === before && NAME_START.test(this.text[this.index]!)) this.fail(`a space is needed before an attribute in <${name}>`);
      const attributeAt = this.index;
      const attribute = this.readName(this.index, "attribute");
      if (names.length >= this.limits.attributesPerElementMax) this.over(`the number of attributes of <${name}>`, this.limits.attributesPerElementMax, attributeAt);
      if (names.includes(attribute)) this.fail(`<${name}> has the attribute '${attribute}' twice`, attributeAt);
      this.skipSpace();
      if (this.text.charCodeAt(this.index) !== 0x3d /* = */) this.fail(`'=' expected after the attribute '${attribute}' of <${name}>`);
      this.index++;
      this.skipSpace();
      const quote = this.text[this.index];
      if (quote !== '"' && quote !== "'") this.fail(`the value of '${attribute}' in <${name}> must be in quotes`);
      const close = this.text.indexOf(quote, this.index + 1);
      if (close === -1) this.fail(`the input ends inside the value of '${attribute}' of <${name}> (is it truncated?)`, this.index);
      if (close - this.index - 1 > this.limits.attributeValueLengthMax) this.over(`the value of '${attribute}' in <${name}>`, this.limits.attributeValueLengthMax, this.index);
      const value = this.decode(this.index + 1, close, true);
      names.push(attribute);
      // An attribute named __proto__ is data, never the object's prototype.
      if (attribute === "__proto__") Object.defineProperty(attributes, attribute, { value, enumerable: true, writable: true, configurable: true });
      else attributes[attribute] = value;
      this.index = close + 1;
    }
    return { element: { name, attributes, children: [], line, column }, selfClosing };
  }

  /** Character data between tags. */
  private characterData(frame: Frame, from: number, to: number): void {
    const raw = this.text.slice(from, to);
    const marker = raw.indexOf("]]>");
    if (marker !== -1) this.fail("']]>' is not allowed in character data", from + marker);
    this.appendText(frame, raw.includes("&") ? this.decode(from, to, false) : raw, from);
  }

  private appendText(frame: Frame, text: string, at: number): void {
    frame.parts.push(text);
    frame.length += text.length;
    if (frame.length > this.limits.elementTextLengthMax) this.over(`the text inside <${frame.element.name}>`, this.limits.elementTextLengthMax, at);
  }

  /** Decodes entities and character references in text[from, to); `attribute` also normalizes whitespace and refuses '<'. */
  private decode(from: number, to: number, attribute: boolean): string {
    // Searched within the slice only: a search of the whole text per value would be quadratic.
    const raw = this.text.slice(from, to);
    if (attribute) {
      const lt = raw.indexOf("<");
      if (lt !== -1) this.fail("'<' is not allowed in an attribute value (write &lt;)", from + lt);
    }
    const plain = (part: string): string => (attribute ? part.replace(/[\t\n\r]/g, " ") : part);
    if (!raw.includes("&")) return plain(raw);
    let result = "";
    let cursor = 0;
    for (let amp = raw.indexOf("&"); amp !== -1; amp = raw.indexOf("&", cursor)) {
      result += plain(raw.slice(cursor, amp));
      const semicolon = raw.indexOf(";", amp);
      if (semicolon === -1 || semicolon - amp > 12) this.fail("'&' must begin an entity such as &amp; (write a literal & as &amp;)", from + amp);
      result += this.entity(raw.slice(amp + 1, semicolon), from + amp);
      cursor = semicolon + 1;
    }
    return result + plain(raw.slice(cursor));
  }

  private entity(entity: string, at: number): string {
    const predefined = PREDEFINED[entity];
    if (predefined !== undefined) return predefined;
    const reference = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(entity);
    if (reference) {
      const code = reference[1] !== undefined ? Number.parseInt(reference[1], 16) : Number(reference[2]);
      const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
      if (!allowed) this.fail(`&${entity}; is not a character XML allows`, at);
      return String.fromCodePoint(code);
    }
    return this.fail(`undefined entity &${entity}; (XML defines only &lt; &gt; &amp; &quot; &apos; and character references; edgeha expands no declared entities)`, at);
  }
}

/** Parses XML text into elements, within the limits; errors are EdgehaErrors naming SOURCE:LINE:COLUMN. */
export function parseXmlDocument(text: string, options: XmlParseOptions): XmlElement {
  return new XmlParser(text, options).parse();
}

export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}

export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((candidate) => candidate.name === name);
}
