/**
 * Thin helpers over fast-xml-parser's `preserveOrder` node shape, so the rest of the package never spells
 * `':@'` or `'@_'` itself.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { OmeXmlError } from './errors.js';
import type { XmlNode } from './model.js';

const ATTR = ':@';
const PREFIX = '@_';
const TEXT = '#text';

/**
 * Lossless options (docs/toolchain.md) with two changes measured on real files:
 * - `htmlEntities: true`: without it numeric character references (`&#181;`) stay undecoded and the
 *   builder then double-escapes them;
 * - `trimValues: false`: trimming turned `<M K="species"> </M>` into an empty value (ome-types keeps " ").
 *   Indentation between elements is dropped by `dropIndentation` instead; text of leaf elements is kept.
 */
const OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: PREFIX,
  preserveOrder: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
} as const;

const parser = new XMLParser(OPTIONS);
const builder = new XMLBuilder({ ...OPTIONS, suppressEmptyNode: true });

/**
 * Bounds on a document's shape, far above any real OME-XML (a Pixels element has ~20 attributes; OME nests
 * under 20 deep, XML annotations a little more): a hostile document with 200,000 attributes on one element
 * kept the validator busy for seconds per parse, and very deep nesting ends in the parser's own untyped
 * error.
 */
export const MAX_ATTRIBUTES_PER_ELEMENT = 10_000;
export const MAX_NESTING_DEPTH = 1_000;

/**
 * For a comment, CDATA section, DOCTYPE or processing instruction starting at `i`: the index where it ends
 * (-1 when unterminated); undefined when `i` starts an element tag. Both scans below skip these.
 */
function markupEnd(xml: string, i: number): number | undefined {
  const next = xml.charCodeAt(i + 1);
  if (next !== 33 /* ! */ && next !== 63 /* ? */) return undefined;
  if (xml.startsWith('<!--', i)) return xml.indexOf('-->', i);
  if (xml.startsWith('<![CDATA[', i)) return xml.indexOf(']]>', i);
  return xml.indexOf('>', i);
}

/** One linear pass over the text, counting attributes per tag and element depth (quotes respected). */
function checkShape(xml: string, file: string | undefined): void {
  let depth = 0;
  for (let i = xml.indexOf('<'); i >= 0 && i < xml.length; i = xml.indexOf('<', i)) {
    const next = xml.charCodeAt(i + 1);
    const end = markupEnd(xml, i);
    if (end !== undefined) {
      if (end < 0) return; // the validator reports the unterminated construct
      i = end + 1;
      continue;
    }
    let attrs = 0;
    let quote = 0;
    let j = i + 1;
    for (; j < xml.length; j++) {
      const ch = xml.charCodeAt(j);
      if (quote) {
        if (ch === quote) quote = 0;
      } else if (ch === 34 || ch === 39) quote = ch;
      else if (ch === 61 /* = */) attrs++;
      else if (ch === 62 /* > */) break;
    }
    if (attrs > MAX_ATTRIBUTES_PER_ELEMENT) {
      throw new OmeXmlError(
        file,
        'not-xml',
        `an element has ${attrs} attributes, more than the ${MAX_ATTRIBUTES_PER_ELEMENT} this reader accepts; the OME-XML is damaged or hostile`,
      );
    }
    if (next === 47 /* / */) depth--;
    else if (xml.charCodeAt(j - 1) !== 47) depth++;
    if (depth > MAX_NESTING_DEPTH) {
      throw new OmeXmlError(
        file,
        'not-xml',
        `elements nest more than ${MAX_NESTING_DEPTH} deep; the OME-XML is damaged or hostile`,
      );
    }
    i = j + 1;
  }
}

/**
 * Rewrites tab, line feed and carriage return inside attribute values (in tags, between quotes) with
 * `replace`; comments, CDATA, processing instructions and text are left alone. XML gives those characters
 * in attribute values a meaning of their own (see `parseXml` and `buildXml`).
 */
function mapAttributeWhitespace(xml: string, replace: (ch: string) => string): string {
  if (!/[\t\n\r]/.test(xml)) return xml;
  let out = '';
  let from = 0;
  for (let i = xml.indexOf('<'); i >= 0 && i < xml.length; i = xml.indexOf('<', i)) {
    const end = markupEnd(xml, i);
    if (end !== undefined) {
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    let quote = 0;
    let j = i + 1;
    for (; j < xml.length; j++) {
      const ch = xml.charCodeAt(j);
      if (quote) {
        if (ch === quote) quote = 0;
        else if (ch === 9 || ch === 10 || ch === 13) {
          out += xml.slice(from, j) + replace(xml[j] as string);
          from = j + 1;
        }
      } else if (ch === 34 || ch === 39) quote = ch;
      else if (ch === 62 /* > */) break;
    }
    i = j + 1;
  }
  return out + xml.slice(from);
}

/** Parse to nodes; throws OmeXmlError('not-xml') with the validator's line/column when not well-formed. */
export function parseXml(xml: string, file: string | undefined): XmlNode[] {
  checkShape(xml, file);
  // XML's attribute-value normalization: a literal tab or line break in an attribute is a space (as
  // tifffile's ElementTree and Bio-Formats read it); written as &#9;/&#10;/&#13; it stays that character.
  xml = mapAttributeWhitespace(xml, () => ' ');
  const check = XMLValidator.validate(xml);
  if (check !== true) {
    const { msg, line, col } = check.err;
    throw new OmeXmlError(file, 'not-xml', `not well-formed XML (line ${line}, column ${col}): ${msg}`);
  }
  try {
    return dropIndentation(parser.parse(xml) as XmlNode[]);
  } catch (err) {
    // The parser's own limits (entity expansion, nesting) throw plain Errors.
    throw new OmeXmlError(file, 'not-xml', `the XML could not be parsed: ${String(err)}`, { cause: err });
  }
}

/** Whitespace-only text beside child elements is layout, not content (element-only and mixed content). */
function dropIndentation(nodes: XmlNode[]): XmlNode[] {
  const hasElements = nodes.some((n) => tagOf(n) !== undefined);
  const kept = hasElements ? nodes.filter((n) => !(TEXT in n && String(n[TEXT]).trim() === '')) : nodes;
  for (const n of kept) {
    const tag = tagOf(n);
    if (tag !== undefined && Array.isArray(n[tag])) n[tag] = dropIndentation(n[tag] as XmlNode[]);
  }
  return kept;
}

/** Tab, line feed and carriage return in attribute values become character references (see `parseXml`). */
const CHAR_REF: Record<string, string> = { '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

export function buildXml(nodes: XmlNode[]): string {
  return mapAttributeWhitespace(builder.build(nodes) as string, (ch) => CHAR_REF[ch] as string);
}

/** Element name, or undefined for text, comments and the XML declaration. */
export function tagOf(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ATTR && key !== TEXT && !key.startsWith('?')) return key;
  }
  return undefined;
}

export function childrenOf(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  return tag === undefined ? [] : ((node[tag] as XmlNode[] | undefined) ?? []);
}

export function elementsOf(node: XmlNode): XmlNode[] {
  return childrenOf(node).filter((c) => tagOf(c) !== undefined);
}

/** Attributes without the parser's prefix, in document order. */
export function attrsOf(node: XmlNode): Record<string, string> {
  const raw = node[ATTR] as Record<string, string> | undefined;
  const out: Record<string, string> = {};
  if (raw) for (const [k, v] of Object.entries(raw)) out[k.slice(PREFIX.length)] = String(v);
  return out;
}

export function setAttrs(node: XmlNode, attrs: Record<string, string>): void {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) raw[PREFIX + k] = v;
  if (Object.keys(raw).length > 0) node[ATTR] = raw;
  else delete node[ATTR];
}

/** Concatenated direct text children (the parser splits text around child elements). */
export function textOf(node: XmlNode): string {
  return childrenOf(node)
    .filter((c) => TEXT in c)
    .map((c) => String(c[TEXT]))
    .join('');
}

export function textNode(text: string): XmlNode {
  return { [TEXT]: text };
}

export function element(tag: string, attrs: Record<string, string> = {}, children: XmlNode[] = []): XmlNode {
  const node: XmlNode = { [tag]: children };
  setAttrs(node, attrs);
  return node;
}

export function renameElement(node: XmlNode, tag: string): void {
  const old = tagOf(node);
  if (old === undefined || old === tag) return;
  const kids = node[old];
  const attrs = node[ATTR];
  for (const key of Object.keys(node)) delete node[key];
  node[tag] = kids;
  if (attrs !== undefined) node[ATTR] = attrs;
}

export function setChildren(node: XmlNode, children: XmlNode[]): void {
  const tag = tagOf(node);
  if (tag !== undefined) node[tag] = children;
}

/** Local name and prefix of a qualified name. */
export function splitName(qname: string): { prefix: string; local: string } {
  const i = qname.indexOf(':');
  return i < 0 ? { prefix: '', local: qname } : { prefix: qname.slice(0, i), local: qname.slice(i + 1) };
}

/** Anything outside XML 1.0's Char production (control characters, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Remove characters XML 1.0 forbids even as references; producers sometimes leave them in strings. */
export function stripInvalidXmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '');
}
