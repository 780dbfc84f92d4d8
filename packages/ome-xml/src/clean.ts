/**
 * cleanOmeXml: repair known producer mistakes so that the strict parser accepts the document. Applied by
 * parseOmeXml only after a strict parse failed (bfio's `clean_metadata`). Each repair is small and keeps
 * everything it does not have to change. The list is in README.md ("What the cleaner fixes").
 */
import { OmeXmlError } from './errors.js';
import type { XmlNode } from './model.js';
import {
  childRank,
  DATE_TIME,
  idMatches,
  idTypeOf,
  isReference,
  OME_NAMESPACE,
  OME_SCHEMA_LOCATION,
  XSI_NAMESPACE,
} from './schema.js';
import { normalizeUnit } from './units.js';
import {
  attrsOf,
  buildXml,
  childrenOf,
  element,
  elementsOf,
  parseXml,
  renameElement,
  setAttrs,
  setChildren,
  splitName,
  stripInvalidXmlChars,
  tagOf,
  textNode,
  textOf,
} from './xml-nodes.js';

/** Namespaces of every OME schema family before 2016-06 merged them (OME, SA, SPW, ROI, BinaryFile, ...). */
const OME_FAMILY = /^https?:\/\/www\.openmicroscopy\.org\/Schemas\/[A-Za-z]+\/[0-9A-Za-z-]+\/?$/;

/** Misspelt schema references seen in the wild (bfio's list). */
const KNOWN_INVALID_REFERENCES = [
  'www.openmicroscopy.org/Schemas/ome/2013-06',
  'www.openmicroscopy.org/Schemas/OME/2012-03',
  'www.openmicroscopy.org/Schemas/sa/2013-06s',
];

/** XML 1.0 forbids these characters even as references; some producers write `&#0;`. */
const BAD_CHAR_REFS = /&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01])|x0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));/g;

export interface CleanOptions {
  file?: string;
}

export function cleanOmeXml(xml: string, options: CleanOptions = {}): string {
  const { file } = options;
  let text = xml;
  for (const ref of KNOWN_INVALID_REFERENCES)
    text = text.split(ref).join('www.openmicroscopy.org/Schemas/OME/2016-06');
  text = stripInvalidXmlChars(text.replace(BAD_CHAR_REFS, ''));
  const nodes = parseXml(text, file);
  const root = nodes.find((n) => tagOf(n) !== undefined);
  if (!root || splitName(tagOf(root) as string).local !== 'OME') {
    throw new OmeXmlError(
      file,
      'not-ome',
      `root element is <${root ? tagOf(root) : 'nothing'}>, not <OME>: nothing to clean`,
    );
  }
  upgradeNamespaces(root);
  upgradeOldStructure(root);
  fixValues(root);
  fixIds(root);
  fixChildOrder(root, undefined);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${buildXml([root])}`;
}

// ---------------------------------------------------------------------------------------------------------
// Namespaces

/**
 * Put every element of an OME-family namespace (any version) into the 2016-06 default namespace, unprefixed,
 * and drop their declarations. Elements of foreign namespaces (XMLAnnotation content) keep theirs. A root
 * without any namespace is treated as OME.
 */
function upgradeNamespaces(root: XmlNode): void {
  const walk = (node: XmlNode, scope: Map<string, string>, isRoot: boolean): void => {
    const tag = tagOf(node);
    if (tag === undefined) return;
    const attrs = attrsOf(node);
    const local = new Map(scope);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'xmlns') local.set('', v);
      else if (k.startsWith('xmlns:')) local.set(k.slice(6), v);
    }
    const { prefix, local: name } = splitName(tag);
    const ns = local.get(prefix);
    const inFamily =
      (ns === undefined && (isRoot || prefix === '')) || (ns !== undefined && OME_FAMILY.test(ns));
    if (inFamily) {
      renameElement(node, name);
      const kept: Record<string, string> = {};
      for (const [k, v] of Object.entries(attrs)) {
        if ((k === 'xmlns' || k.startsWith('xmlns:')) && OME_FAMILY.test(v)) continue;
        kept[k] = v;
      }
      setAttrs(node, kept);
    }
    // Unprefixed descendants now resolve to the 2016-06 default namespace once the root declares it.
    if (inFamily && prefix === '') local.set('', OME_NAMESPACE);
    for (const c of childrenOf(node)) walk(c, local, false);
  };
  walk(root, new Map(), true);
  const attrs = attrsOf(root);
  const xsiPrefix = Object.entries(attrs)
    .find(([k, v]) => k.startsWith('xmlns:') && v === XSI_NAMESPACE)?.[0]
    .slice(6);
  const out: Record<string, string> = { xmlns: OME_NAMESPACE, 'xmlns:xsi': XSI_NAMESPACE };
  for (const [k, v] of Object.entries(attrs)) {
    if (
      k === 'xmlns' ||
      k === 'xmlns:xsi' ||
      k === `${xsiPrefix}:schemaLocation` ||
      k === `xmlns:${xsiPrefix}`
    )
      continue;
    out[k] = v;
  }
  out['xsi:schemaLocation'] = OME_SCHEMA_LOCATION;
  setAttrs(root, out);
}

// ---------------------------------------------------------------------------------------------------------
// Pre-2010 structure (2008-09 / 2009-09): the parts the model reads.

const OBJECTIVE_CHILD_ATTRS = [
  'Correction',
  'Immersion',
  'LensNA',
  'NominalMagnification',
  'CalibratedMagnification',
  'WorkingDistance',
  'Iris',
];
const LIGHT_SOURCE_KINDS = ['Laser', 'Arc', 'Filament', 'LightEmittingDiode', 'GenericExcitationSource'];
/** 2008-09 LogicalChannel attribute → 2016-06 Channel attribute. */
const LOGICAL_CHANNEL_ATTRS: Record<string, string> = {
  Name: 'Name',
  SamplesPerPixel: 'SamplesPerPixel',
  IlluminationType: 'IlluminationType',
  PinholeSize: 'PinholeSize',
  Mode: 'AcquisitionMode',
  ContrastMethod: 'ContrastMethod',
  ExWave: 'ExcitationWavelength',
  EmWave: 'EmissionWavelength',
  Fluor: 'Fluor',
  NdFilter: 'NDFilter',
  PockelCellSetting: 'PockelCellSetting',
};

function upgradeOldStructure(root: XmlNode): void {
  for (const inst of elementsOf(root).filter((n) => tagOf(n) === 'Instrument')) {
    const kids = childrenOf(inst).map((c) => {
      const tag = tagOf(c);
      if (tag === 'LightSource') {
        // <LightSource ID Power ...><Laser Type ...>…</Laser></LightSource> → <Laser ID Power Type ...>…</Laser>
        const inner = elementsOf(c).find((k) => LIGHT_SOURCE_KINDS.includes(tagOf(k) ?? ''));
        if (inner) {
          setAttrs(inner, { ...attrsOf(c), ...attrsOf(inner) });
          return inner;
        }
      }
      if (tag === 'Objective') {
        const attrs = attrsOf(c);
        const rest: XmlNode[] = [];
        for (const k of childrenOf(c)) {
          const kt = tagOf(k);
          if (kt && OBJECTIVE_CHILD_ATTRS.includes(kt) && elementsOf(k).length === 0) attrs[kt] = textOf(k);
          else rest.push(k);
        }
        setAttrs(c, attrs);
        setChildren(c, rest);
      }
      if (tag === 'FilterSet') {
        const attrs = attrsOf(c);
        const refs: XmlNode[] = [];
        for (const [old, neu] of [
          ['ExFilterRef', 'ExcitationFilterRef'],
          ['DichroicRef', 'DichroicRef'],
          ['EmFilterRef', 'EmissionFilterRef'],
        ] as const) {
          const id = attrs[old];
          if (id !== undefined) {
            refs.push(element(neu, { ID: id }));
            delete attrs[old];
          }
        }
        if (refs.length > 0) {
          setAttrs(c, attrs);
          setChildren(c, [...refs, ...childrenOf(c)]);
        }
      }
      return c;
    });
    setChildren(inst, kids);
  }
  for (const image of elementsOf(root).filter((n) => tagOf(n) === 'Image')) {
    const attrs = attrsOf(image);
    delete attrs.AcquiredPixels;
    delete attrs.DefaultPixels;
    setAttrs(image, attrs);
    const logical: XmlNode[] = [];
    const kids: XmlNode[] = [];
    for (const c of childrenOf(image)) {
      const tag = tagOf(c);
      if (tag === 'CreationDate') renameElement(c, 'AcquisitionDate');
      if (tag === 'LogicalChannel') logical.push(c);
      else kids.push(c);
    }
    setChildren(image, kids);
    const pixels = kids.find((c) => tagOf(c) === 'Pixels');
    if (!pixels) continue;
    const pa = attrsOf(pixels);
    if (pa.Type === undefined && pa.PixelType !== undefined) {
      pa.Type = pa.PixelType;
      delete pa.PixelType;
      setAttrs(pixels, pa);
    }
    for (const bin of elementsOf(pixels).filter((c) => tagOf(c) === 'BinData')) {
      const ba = attrsOf(bin);
      if (ba.BigEndian === undefined) setAttrs(bin, { BigEndian: pa.BigEndian ?? 'false', ...ba });
    }
    if (logical.length > 0 && !elementsOf(pixels).some((c) => tagOf(c) === 'Channel')) {
      const channels = logical.map((lc) => {
        const la = attrsOf(lc);
        const ca: Record<string, string> = { ID: la.ID ? la.ID.replace(/^LogicalChannel:/, 'Channel:') : '' };
        for (const [from, to] of Object.entries(LOGICAL_CHANNEL_ATTRS))
          if (la[from] !== undefined) ca[to] = la[from];
        return element('Channel', ca);
      });
      setChildren(pixels, [...channels, ...childrenOf(pixels)]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Values

const POSITIVE_LENGTHS = ['PhysicalSizeX', 'PhysicalSizeY', 'PhysicalSizeZ'];
const BOOLEANS = ['Interleaved', 'BigEndian'];
const COLORS = ['Color', 'FillColor', 'StrokeColor'];

function fixValues(node: XmlNode): void {
  const tag = tagOf(node);
  if (tag === undefined || tag.includes(':')) return;
  const attrs = attrsOf(node);
  let changed = false;
  for (const [k, v] of Object.entries(attrs)) {
    if (k.endsWith('Unit')) {
      const u = normalizeUnit(v);
      if (u !== v) {
        attrs[k] = u;
        changed = true;
      }
    }
    if (BOOLEANS.includes(k) && /^(True|False|TRUE|FALSE)$/.test(v)) {
      attrs[k] = v.toLowerCase();
      changed = true;
    }
    if (COLORS.includes(k) && /^\d+$/.test(v.trim()) && Number(v) > 2147483647 && Number(v) <= 4294967295) {
      attrs[k] = String(Number(v) | 0); // unsigned RGBA written by some producers → the schema's signed int
      changed = true;
    }
    if (tag === 'Pixels' && POSITIVE_LENGTHS.includes(k) && !(Number(v) > 0)) {
      // 0 (or garbage) is "unknown", which the schema spells by leaving the attribute out.
      delete attrs[k];
      delete attrs[`${k}Unit`];
      changed = true;
    }
  }
  if (changed) setAttrs(node, attrs);
  if (tag === 'Image') {
    const kids = childrenOf(node).filter((c) => {
      if (tagOf(c) !== 'AcquisitionDate') return true;
      const fixed = fixDate(textOf(c));
      if (fixed === undefined) return false; // unrepairable: dropped, as bfio does
      setChildren(c, [textNode(fixed)]);
      return true;
    });
    setChildren(node, kids);
  }
  if (tag === 'XMLAnnotation') return;
  for (const c of childrenOf(node)) fixValues(c);
}

/** Repair common dateTime slips (space for T, +hhmm zones, trailing UTC); undefined when hopeless. */
export function fixDate(raw: string): string | undefined {
  let s = raw.trim();
  if (DATE_TIME.test(s)) return s;
  s = s.replace(/^(\d{4}-\d\d-\d\d)[ _](\d)/, '$1T$2');
  s = s.replace(/\s*(UTC|GMT)$/i, 'Z');
  s = s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  s = s.replace(/^(\d{4}-\d\d-\d\d)$/, '$1T00:00:00');
  return DATE_TIME.test(s) ? s : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// IDs

/** Elements whose ID the model requires, with the ID to give them when it is missing. */
const REQUIRED_IDS = ['Image', 'Pixels', 'Channel', 'Instrument', 'Objective'];

/**
 * Make every ID match its schema pattern: `Type:<old>` (whitespace → `_`), uniquely, and rewrite every
 * reference to a renamed ID. Missing required IDs get `Type:<image>` / `Channel:<image>:<index>`.
 */
function fixIds(root: XmlNode): void {
  const defs: Array<{ node: XmlNode; type: string; id: string | undefined; fallback: string }> = [];
  const refs: Array<{ node: XmlNode; type: string; id: string }> = [];
  const used = new Set<string>();
  const walk = (node: XmlNode, path: number[]): void => {
    const tag = tagOf(node);
    if (tag === undefined || tag.includes(':')) return;
    const id = attrsOf(node).ID;
    const type = idTypeOf(tag);
    if (isReference(tag)) {
      if (id !== undefined) refs.push({ node, type, id });
    } else if (id !== undefined || REQUIRED_IDS.includes(tag)) {
      defs.push({ node, type, id, fallback: `${type}:${path.join(':')}` });
      if (id !== undefined) used.add(id);
    }
    if (tag === 'XMLAnnotation') return;
    const counts: Record<string, number> = {};
    for (const c of elementsOf(node)) {
      const ct = tagOf(c) as string;
      const i = counts[ct] ?? 0;
      counts[ct] = i + 1;
      // Channel:<image>:<channel>, as Bio-Formats numbers them.
      walk(c, ct === 'Pixels' ? path : [...path, i]);
    }
  };
  walk(root, []);
  const renamed = new Map<string, string>();
  const fresh = (type: string, base: string): string => {
    let candidate = `${type}:${base.replace(/\s+/g, '_')}`;
    for (let n = 1; used.has(candidate); n++) candidate = `${type}:${base.replace(/\s+/g, '_')}_${n}`;
    used.add(candidate);
    return candidate;
  };
  for (const d of defs) {
    if (d.id !== undefined && idMatches(d.type, d.id)) continue;
    const next =
      d.id === undefined || d.id.trim() === ''
        ? fresh(d.type, d.fallback.slice(d.type.length + 1))
        : fresh(d.type, d.id);
    if (d.id !== undefined) renamed.set(`${d.type}|${d.id}`, next);
    setAttrs(d.node, { ...attrsOf(d.node), ID: next });
  }
  for (const r of refs) {
    if (idMatches(r.type, r.id)) continue;
    const next = renamed.get(`${r.type}|${r.id}`) ?? `${r.type}:${r.id.replace(/\s+/g, '_')}`;
    setAttrs(r.node, { ...attrsOf(r.node), ID: next });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child order

/**
 * Stable-sort children into schema order (Channel → BinData|TiffData|MetadataOnly → Plane in Pixels, and the
 * other modelled parents). An empty MetadataOnly next to real TiffData/BinData is dropped (old AICS files).
 */
function fixChildOrder(node: XmlNode, _parent: string | undefined): void {
  const tag = tagOf(node);
  if (tag === undefined || tag.includes(':') || tag === 'XMLAnnotation') return;
  let kids = childrenOf(node);
  if (tag === 'Pixels' && kids.some((c) => ['TiffData', 'BinData'].includes(tagOf(c) ?? ''))) {
    kids = kids.filter((c) => !(tagOf(c) === 'MetadataOnly' && elementsOf(c).length === 0));
  }
  let last = 0;
  const ranked = kids.map((c, index) => {
    const rank = childRank(tag, tagOf(c) ?? '') ?? last;
    last = rank;
    return { c, rank, index };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  setChildren(
    node,
    ranked.map((r) => r.c),
  );
  for (const c of kids) fixChildOrder(c, tag);
}
