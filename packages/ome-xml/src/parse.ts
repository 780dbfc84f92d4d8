/**
 * parseOmeXml: strict parse into the typed model; on failure (and unless `clean: false`) clean the document
 * and parse strictly again, as bfio does with `clean_metadata=True`.
 */
import { cleanOmeXml } from './clean.js';
import { OmeXmlError } from './errors.js';
import {
  type Channel,
  DIMENSION_ORDERS,
  type Image,
  type Instrument,
  type MapAnnotation,
  type Objective,
  type OME,
  PIXEL_TYPES,
  type Pixels,
  type Plane,
  type StructuredAnnotations,
  type TiffData,
  type XmlNode,
} from './model.js';
import { ElementReader, makeExtra } from './read-element.js';
import { DATE_TIME, idMatches, idTypeOf, OME_NAMESPACE, XSI_NAMESPACE } from './schema.js';
import { DEFAULT_UNITS } from './units.js';
import {
  attrsOf,
  childrenOf,
  elementsOf,
  parseXml,
  renameElement,
  splitName,
  tagOf,
  textOf,
} from './xml-nodes.js';

export interface ParseOptions {
  /** Retry with cleanOmeXml when the strict parse fails (default true). */
  clean?: boolean;
  /** File the XML came from, named in errors. */
  file?: string;
}

export function parseOmeXml(xml: string, options: ParseOptions = {}): OME {
  const { clean = true, file } = options;
  try {
    return parseOmeXmlStrict(xml, file);
  } catch (first) {
    if (!clean || !OmeXmlError.isInstance(first)) throw first;
    let cleaned: string;
    try {
      cleaned = cleanOmeXml(xml, { file });
    } catch (e) {
      if (OmeXmlError.isInstance(e)) {
        throw new OmeXmlError(file, e.reason, `${e.problem} (strict parse failed first: ${first.problem})`, {
          cause: first,
          afterCleaning: true,
        });
      }
      throw e;
    }
    try {
      return parseOmeXmlStrict(cleaned, file);
    } catch (e) {
      if (OmeXmlError.isInstance(e)) {
        throw new OmeXmlError(
          file,
          e.reason,
          `${e.problem} (still wrong after cleaning; first problem: ${first.problem})`,
          {
            cause: first,
            afterCleaning: true,
          },
        );
      }
      throw e;
    }
  }
}

/** The root element node, skipping the XML declaration and processing instructions. */
export function rootElement(nodes: XmlNode[], file: string | undefined): XmlNode {
  const root = nodes.find((n) => tagOf(n) !== undefined);
  if (!root) throw new OmeXmlError(file, 'not-ome', 'the document has no root element');
  return root;
}

/** Resolve the namespace of the root element from its own declarations. */
export function rootNamespace(root: XmlNode): { prefix: string; local: string; ns: string | undefined } {
  const { prefix, local } = splitName(tagOf(root) as string);
  const attrs = attrsOf(root);
  return { prefix, local, ns: attrs[prefix ? `xmlns:${prefix}` : 'xmlns'] };
}

/** Strict parse: no repair. Throws OmeXmlError for anything the model or schema forbids (README lists it). */
export function parseOmeXmlStrict(xml: string, file?: string): OME {
  const root = rootElement(parseXml(xml, file), file);
  const { prefix, local, ns } = rootNamespace(root);
  if (local !== 'OME') throw new OmeXmlError(file, 'not-ome', `root element is <${tagOf(root)}>, not <OME>`);
  if (ns !== OME_NAMESPACE) {
    throw new OmeXmlError(
      file,
      'namespace',
      ns === undefined
        ? 'root <OME> has no namespace'
        : `namespace "${ns}" is not OME 2016-06 (${OME_NAMESPACE})`,
    );
  }
  if (prefix) stripPrefix(root, prefix);
  checkIds(root, file);
  return readOme(new ElementReader(file, '/OME', root), prefix);
}

/** Rename `prefix:Name` elements to `Name`: the builder writes OME elements in the default namespace. */
function stripPrefix(node: XmlNode, prefix: string): void {
  const tag = tagOf(node);
  if (tag === undefined) return;
  if (tag.startsWith(`${prefix}:`)) renameElement(node, tag.slice(prefix.length + 1));
  for (const c of childrenOf(node)) stripPrefix(c, prefix);
}

/** Every ID and reference in the OME namespace must match its type's pattern (XMLAnnotation content excepted). */
function checkIds(node: XmlNode, file: string | undefined, path = ''): void {
  const tag = tagOf(node);
  if (tag === undefined || tag.includes(':')) return;
  const here = `${path}/${tag}`;
  const id = attrsOf(node).ID;
  if (id !== undefined) {
    const type = idTypeOf(tag);
    if (!idMatches(type, id)) {
      throw new OmeXmlError(
        file,
        'bad-id',
        `${here}: ID="${id}" does not match the schema's ${type} ID pattern (${type}:…)`,
      );
    }
  }
  if (tag === 'XMLAnnotation') return; // its Value holds foreign XML
  for (const c of elementsOf(node)) checkIds(c, file, here);
}

function readOme(r: ElementReader, omePrefix: string): OME {
  const xsiPrefix = Object.entries(r.attrs)
    .find(([k, v]) => k.startsWith('xmlns:') && v === XSI_NAMESPACE)?.[0]
    .slice(6);
  // Namespace plumbing is rewritten by the builder; mark it read so it does not land in `extra`.
  r.str('xmlns');
  if (omePrefix) r.str(`xmlns:${omePrefix}`);
  if (xsiPrefix) {
    r.str(`xmlns:${xsiPrefix}`);
    r.str(`${xsiPrefix}:schemaLocation`);
  }
  const ome: OME = { instruments: [], images: [] };
  const uuid = r.str('UUID');
  if (uuid !== undefined) ome.uuid = uuid;
  const creator = r.str('Creator');
  if (creator !== undefined) ome.creator = creator;
  const children = r.children('OME', {
    Instrument: (_, c) => {
      ome.instruments.push(readInstrument(c));
      return true;
    },
    Image: (_, c) => {
      ome.images.push(readImage(c));
      return true;
    },
    StructuredAnnotations: (_, c) => {
      if (ome.structuredAnnotations) return false;
      ome.structuredAnnotations = readStructuredAnnotations(c);
      return true;
    },
  });
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) ome.extra = extra;
  return ome;
}

function readInstrument(r: ElementReader): Instrument {
  const inst: Instrument = { id: r.id('Instrument'), objectives: [] };
  const children = r.children('Instrument', {
    Objective: (_, c) => {
      inst.objectives.push(readObjective(c));
      return true;
    },
  });
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) inst.extra = extra;
  return inst;
}

function readObjective(r: ElementReader): Objective {
  const o: Objective = { id: r.id('Objective') };
  assign(o, 'manufacturer', r.str('Manufacturer'));
  assign(o, 'model', r.str('Model'));
  assign(o, 'nominalMagnification', r.float('NominalMagnification'));
  assign(o, 'lensNA', r.float('LensNA'));
  assign(o, 'immersion', r.str('Immersion'));
  const extra = makeExtra(r.extraAttributes(), r.children('Objective', {}));
  if (extra) o.extra = extra;
  return o;
}

function readImage(r: ElementReader): Image {
  const id = r.id('Image');
  const image = { id } as Image;
  assign(image, 'name', r.str('Name'));
  let pixels: Pixels | undefined;
  const children = r.children('Image', {
    AcquisitionDate: (node, c) => {
      if (image.acquisitionDate !== undefined) return false;
      const text = textOf(node).trim(); // xsd:dateTime collapses whitespace
      if (!DATE_TIME.test(text))
        c.fail('bad-date', `"${text}" is not an xsd:dateTime (YYYY-MM-DDThh:mm:ss[.s][zone])`);
      image.acquisitionDate = text;
      return true;
    },
    Description: (node) => {
      if (image.description !== undefined) return false;
      image.description = textOf(node);
      return true;
    },
    InstrumentRef: (node, c) => {
      if (image.instrumentRef !== undefined) return false;
      const ref = c.id('Instrument');
      // A ref carrying anything unexpected stays opaque rather than losing it.
      if (Object.keys(c.extraAttributes()).length > 0 || elementsOf(node).length > 0) return false;
      image.instrumentRef = ref;
      return true;
    },
    Pixels: (_, c) => {
      if (pixels) return false;
      pixels = readPixels(c);
      return true;
    },
  });
  if (!pixels) r.fail('missing-attribute', 'required element <Pixels> is missing');
  image.pixels = pixels;
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) image.extra = extra;
  return image;
}

function readPixels(r: ElementReader): Pixels {
  const p: Pixels = {
    id: r.id('Pixels'),
    dimensionOrder: r.oneOf('DimensionOrder', DIMENSION_ORDERS),
    type: r.oneOf('Type', PIXEL_TYPES),
    sizeX: r.reqInt('SizeX', 1),
    sizeY: r.reqInt('SizeY', 1),
    sizeZ: r.reqInt('SizeZ', 1),
    sizeC: r.reqInt('SizeC', 1),
    sizeT: r.reqInt('SizeT', 1),
    channels: [],
    tiffData: [],
    planes: [],
  };
  assign(p, 'significantBits', r.int('SignificantBits', 1));
  assign(p, 'interleaved', r.bool('Interleaved'));
  assign(p, 'bigEndian', r.bool('BigEndian'));
  assign(p, 'physicalSizeX', r.quantity('PhysicalSizeX', 'length', DEFAULT_UNITS.physicalSize, true));
  assign(p, 'physicalSizeY', r.quantity('PhysicalSizeY', 'length', DEFAULT_UNITS.physicalSize, true));
  assign(p, 'physicalSizeZ', r.quantity('PhysicalSizeZ', 'length', DEFAULT_UNITS.physicalSize, true));
  assign(p, 'timeIncrement', r.quantity('TimeIncrement', 'time', DEFAULT_UNITS.timeIncrement));
  const children = r.children('Pixels', {
    Channel: (_, c) => {
      p.channels.push(readChannel(c));
      return true;
    },
    TiffData: (_, c) => {
      p.tiffData.push(readTiffData(c));
      return true;
    },
    Plane: (_, c) => {
      p.planes.push(readPlane(c));
      return true;
    },
  });
  // MetadataOnly says "no pixel data here", which is what an empty TiffData/BinData list already says;
  // the builder writes it back whenever it is needed, so it is not kept.
  const kept = children.filter((x) => tagOf(x.node) !== 'MetadataOnly');
  const extra = makeExtra(r.extraAttributes(), kept);
  if (extra) p.extra = extra;
  return p;
}

function readChannel(r: ElementReader): Channel {
  const ch: Channel = { id: r.id('Channel') };
  assign(ch, 'name', r.str('Name'));
  assign(ch, 'samplesPerPixel', r.int('SamplesPerPixel', 1));
  const color = r.int('Color');
  if (color !== undefined && (color < -2147483648 || color > 2147483647)) {
    r.fail('bad-value', `Color="${color}" is not a signed 32-bit integer`);
  }
  assign(ch, 'color', color);
  assign(ch, 'fluor', r.str('Fluor'));
  assign(ch, 'illuminationType', r.str('IlluminationType'));
  assign(ch, 'acquisitionMode', r.str('AcquisitionMode'));
  assign(ch, 'contrastMethod', r.str('ContrastMethod'));
  assign(
    ch,
    'excitationWavelength',
    r.quantity('ExcitationWavelength', 'length', DEFAULT_UNITS.wavelength, true),
  );
  assign(
    ch,
    'emissionWavelength',
    r.quantity('EmissionWavelength', 'length', DEFAULT_UNITS.wavelength, true),
  );
  assign(ch, 'pinholeSize', r.quantity('PinholeSize', 'length', DEFAULT_UNITS.pinholeSize));
  assign(ch, 'ndFilter', r.float('NDFilter'));
  assign(ch, 'pockelCellSetting', r.int('PockelCellSetting'));
  const extra = makeExtra(r.extraAttributes(), r.children('Channel', {}));
  if (extra) ch.extra = extra;
  return ch;
}

function readTiffData(r: ElementReader): TiffData {
  const td: TiffData = {
    ifd: r.int('IFD', 0) ?? 0,
    firstZ: r.int('FirstZ', 0) ?? 0,
    firstC: r.int('FirstC', 0) ?? 0,
    firstT: r.int('FirstT', 0) ?? 0,
  };
  assign(td, 'planeCount', r.int('PlaneCount', 0));
  const children = r.children('TiffData', {
    UUID: (node, c) => {
      if (td.uuid) return false;
      const fileName = c.str('FileName');
      if (Object.keys(c.extraAttributes()).length > 0 || elementsOf(node).length > 0) return false;
      td.uuid = fileName === undefined ? { value: textOf(node) } : { value: textOf(node), fileName };
      return true;
    },
  });
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) td.extra = extra;
  return td;
}

function readPlane(r: ElementReader): Plane {
  const pl: Plane = { theZ: r.reqInt('TheZ', 0), theC: r.reqInt('TheC', 0), theT: r.reqInt('TheT', 0) };
  assign(pl, 'deltaT', r.quantity('DeltaT', 'time', DEFAULT_UNITS.deltaT));
  assign(pl, 'exposureTime', r.quantity('ExposureTime', 'time', DEFAULT_UNITS.exposureTime));
  assign(pl, 'positionX', r.quantity('PositionX', 'length', DEFAULT_UNITS.position));
  assign(pl, 'positionY', r.quantity('PositionY', 'length', DEFAULT_UNITS.position));
  assign(pl, 'positionZ', r.quantity('PositionZ', 'length', DEFAULT_UNITS.position));
  const extra = makeExtra(r.extraAttributes(), r.children('Plane', {}));
  if (extra) pl.extra = extra;
  return pl;
}

function readStructuredAnnotations(r: ElementReader): StructuredAnnotations {
  const sa: StructuredAnnotations = { mapAnnotations: [] };
  const children = r.children('StructuredAnnotations', {
    MapAnnotation: (_, c) => {
      const m = readMapAnnotation(c);
      if (!m) return false;
      sa.mapAnnotations.push(m);
      return true;
    },
  });
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) sa.extra = extra;
  return sa;
}

/** Undefined when the Value holds anything but `<M K="…">` pairs: then the whole annotation stays opaque. */
function readMapAnnotation(r: ElementReader): MapAnnotation | undefined {
  const m: MapAnnotation = { id: r.id('Annotation'), values: [] };
  assign(m, 'namespace', r.str('Namespace'));
  let opaque = false;
  const children = r.children('MapAnnotation', {
    Description: (n) => {
      if (m.description !== undefined) return false;
      m.description = textOf(n);
      return true;
    },
    Value: (n) => {
      for (const item of childrenOf(n)) {
        const tag = tagOf(item);
        const attrs = tag === undefined ? {} : attrsOf(item);
        const keys = Object.keys(attrs);
        if (tag !== 'M' || keys.length !== 1 || attrs.K === undefined || elementsOf(item).length > 0) {
          opaque = true;
          return false;
        }
        m.values.push([attrs.K as string, textOf(item)]);
      }
      return true;
    },
  });
  if (opaque) return undefined;
  const extra = makeExtra(r.extraAttributes(), children);
  if (extra) m.extra = extra;
  return m;
}

/** Set an optional field only when defined, so models carry no `undefined` keys. */
function assign<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}
